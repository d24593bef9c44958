// The CPU accounting of benchmark windows: /proc stat lines parsed from fixture strings (comm may
// hold spaces and parentheses), threads classified by id and name, and two snapshots turned into
// cores and µs per record whose parts add up to the machine's busy time.
import {
  brokerPort,
  type CpuSnapshot,
  classifyThread,
  cpuBreakdown,
  listeningInode,
  parseMachineStat,
  parseTaskStat,
} from '../../../benchmarks/harness/cpu-accounting';

const TAIL =
  '20 0 23 0 3315595 3005431808 41008 18446744073709551615 11988992 39846385 140729448185024 0 0 0 0 16781312 17922 1 0 0 17 0 0 0 0 0 0';
/** A /proc/<pid>/task/<tid>/stat line: utime and stime are fields 14 and 15. */
const statLine = (tid: number, comm: string, utime: number, stime: number) =>
  `${tid} (${comm}) S 18669 18666 1526 0 -1 4194304 18102 0 0 0 ${utime} ${stime} 0 0 ${TAIL}`;

describe('parseTaskStat', () => {
  it('reads id, comm and utime + stime from a real-shaped line', () => {
    const line =
      '18707 (node) S 18669 18666 1526 0 -1 4194304 18102 0 0 0 291 45 0 0 20 0 23 0 3315595 3005431808 41008 18446744073709551615';
    expect(parseTaskStat(line)).toEqual({ id: 18707, comm: 'node', ticks: 336 });
  });

  it('counts fields from the last parenthesis when comm holds spaces and parentheses', () => {
    expect(parseTaskStat(statLine(42, 'a (b) c', 7, 3))).toEqual({ id: 42, comm: 'a (b) c', ticks: 10 });
    expect(parseTaskStat(statLine(43, 'rdk:broker1', 120, 80))).toEqual({ id: 43, comm: 'rdk:broker1', ticks: 200 });
  });

  it('rejects a line that is not a stat line', () => {
    expect(() => parseTaskStat('garbage')).toThrow('not a /proc stat line');
    expect(() => parseTaskStat('12 (node) S 1 2')).toThrow('not a /proc stat line');
  });
});

describe('classifyThread', () => {
  it('is main for tid = pid, librdkafka for rdk:*, other for node threads', () => {
    expect(classifyThread(100, 100, 'node')).toBe('main');
    expect(classifyThread(100, 101, 'rdk:main')).toBe('librdkafka');
    expect(classifyThread(100, 102, 'rdk:broker-1')).toBe('librdkafka');
    expect(classifyThread(100, 103, 'node')).toBe('other');
    expect(classifyThread(100, 104, 'libuv-worker')).toBe('other');
  });
});

describe('parseMachineStat', () => {
  it('splits the aggregate cpu line into busy, steal and idle ticks', () => {
    const text = 'cpu  1000 10 200 5000 40 0 30 70 0 0\ncpu0 500 5 100 2500 20 0 15 35 0 0\nintr 1 2 3\n';
    expect(parseMachineStat(text)).toEqual({ busy: 1000 + 10 + 200 + 0 + 30, steal: 70, idle: 5040 });
  });

  it('fails without a cpu line', () => {
    expect(() => parseMachineStat('intr 1\n')).toThrow('no aggregate cpu line');
  });
});

describe('listeningInode and brokerPort', () => {
  const tcp6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0000000000000000FFFF00000100007F:2384 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 614815 1 0000000000000000 100 0 0 10 0',
    '   1: 0000000000000000FFFF00000100007F:2384 0000000000000000FFFF00000100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 700001 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');

  it('finds the listening socket of port 9092 (0x2384), not an established one', () => {
    expect(listeningInode(tcp6, 9092)).toBe(614815);
    expect(listeningInode(tcp6, 9093)).toBeNull();
  });

  it('takes the port of the first bootstrap server', () => {
    expect(brokerPort('127.0.0.1:9192,127.0.0.1:9193')).toBe(9192);
    expect(brokerPort('localhost')).toBe(9092);
  });
});

describe('cpuBreakdown', () => {
  const threads = (entries: Array<[number, 'main' | 'librdkafka' | 'other', number]>) =>
    new Map(entries.map(([tid, role, ticks]) => [tid, { role, ticks }]));
  const start: CpuSnapshot = {
    atMs: 1_000,
    engines: new Map([
      [
        100,
        threads([
          [100, 'main', 50],
          [101, 'librdkafka', 10],
          [102, 'other', 20],
          [103, 'other', 20],
        ]),
      ],
    ]),
    // The process total also holds threads that ended before the window.
    engineTotals: new Map([[100, 500]]),
    broker: 1_000,
    machine: { busy: 10_000, steal: 100, idle: 50_000 },
  };
  // 2 s later (400 ticks on 2 cores): main +100, rdk +20, workers +100 +80, one new helper thread
  // +10, a thread that ended in the window +6, broker +60, machine busy +380 (so rest = 4),
  // steal +10, idle +10.
  const end: CpuSnapshot = {
    atMs: 3_000,
    engines: new Map([
      [
        100,
        threads([
          [100, 'main', 150],
          [101, 'librdkafka', 30],
          [102, 'other', 120],
          [103, 'other', 100],
          [104, 'other', 10],
        ]),
      ],
    ]),
    engineTotals: new Map([[100, 500 + 310 + 6]]),
    broker: 1_060,
    machine: { busy: 10_000 + 380, steal: 110, idle: 50_010 },
  };

  it('gives each part in cores and µs per record, the rest being machine busy minus the named parts', () => {
    const b = cpuBreakdown(start, end, 10_000, 2);
    expect(b.wallS).toBe(2);
    expect(b.cores.main).toBeCloseTo(0.5);
    expect(b.cores.librdkafka).toBeCloseTo(0.1);
    expect(b.cores.workers).toBeCloseTo(0.95); // 100 + 80 + 10 ticks
    expect(b.cores.broker).toBeCloseTo(0.3);
    expect(b.cores.exited).toBeCloseTo(0.03);
    expect(b.cores.rest).toBeCloseTo(0.02);
    expect(b.machineBusy).toBeCloseTo(1.9);
    expect(b.steal).toBeCloseTo(0.05);
    expect(b.idle).toBeCloseTo(0.05);
    const c = b.cores;
    const sum = c.main + c.workers + c.librdkafka + (c.broker ?? 0) + (c.exited ?? 0) + c.rest;
    expect(sum).toBeCloseTo(b.machineBusy);
    // 1 s of main-thread CPU over 10,000 records.
    expect(b.usPerRecord.main).toBeCloseTo(100);
    expect(b.note).toBeUndefined();
  });

  it('leaves the broker out with a note when its pid was unknown', () => {
    const b = cpuBreakdown({ ...start, broker: null }, { ...end, broker: null }, 10_000, 2);
    expect(b.cores.broker).toBeNull();
    expect(b.usPerRecord.broker).toBeNull();
    expect(b.note).toContain('broker pid not found');
    expect(b.cores.rest).toBeCloseTo(0.32); // the broker's 0.3 joins the rest
  });
});
