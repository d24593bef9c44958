/**
 * `turbine loadgen` for integration tests: the load generator run in-process against the local
 * broker, its progress line and summary kept off the test output.
 */
import { Writable } from 'node:stream';
import { type LoadgenSummary, runLoadgen } from '../../src/cli/loadgen';
import type { LoadgenInput } from '../../src/cli/loadgen-options';
import { BROKERS } from './kafka';

const discard = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/** Writes `input.count` generated records to `input.topic` and returns loadgen's summary. */
export function generateQuietly(input: Omit<LoadgenInput, 'brokers'>): Promise<LoadgenSummary> {
  return runLoadgen({ brokers: BROKERS, ...input }, { stdout: discard(), stderr: discard() });
}
