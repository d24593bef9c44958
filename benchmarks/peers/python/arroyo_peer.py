"""
Peer "arroyo": Sentry Arroyo's RunTaskWithMultiprocessing with --threads processes, then a Produce
step to the output topic, then CommitOffsets. Arroyo commits an input offset only after the
Produce step has seen its output acknowledged, i.e. at-least-once like Turbine, in partition order
(Arroyo has no per-key concurrency, so --order key runs in partition order and says so).

Usage: arroyo_peer.py --brokers B --input T --output T2 --group G --spin-us W --threads N
                      --order partition|key --count C [--timeout-s S]
Prints one JSON line on stdout; logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from typing import Any, Mapping, Optional

from arroyo.backends.kafka import KafkaConsumer, KafkaPayload, KafkaProducer
from arroyo.backends.kafka.configuration import (
    build_kafka_consumer_configuration,
    build_kafka_producer_configuration,
)
from arroyo.processing.processor import StreamProcessor
from arroyo.processing.strategies import CommitOffsets, Produce, ProcessingStrategy, ProcessingStrategyFactory
from arroyo.processing.strategies.run_task_with_multiprocessing import (
    MultiprocessingPool,
    RunTaskWithMultiprocessing,
)
from arroyo.types import BrokerValue, Commit, Message, Partition, Topic

# Batches handed to the worker processes: up to 1000 records or 50 ms, whichever comes first
# (Turbine's batcher defaults are of the same order); blocks sized for 1000 records of ~1 KiB.
MAX_BATCH_SIZE = 1000
MAX_BATCH_TIME_S = 0.05
BLOCK_BYTES = 4 * 1024 * 1024

logger = logging.getLogger("arroyo-peer")


def spin_and_copy(message: Message[KafkaPayload]) -> KafkaPayload:
    """Runs in a worker process: spins SPIN_US µs (monotonic busy-wait, like workers/spin.ts) and
    returns the output record: same key and value, plus Turbine's lineage headers."""
    spin_us = int(os.environ.get("PEER_SPIN_US", "0"))
    if spin_us > 0:
        end = time.perf_counter_ns() + spin_us * 1000
        while time.perf_counter_ns() < end:
            pass
    value = message.value
    assert isinstance(value, BrokerValue)
    payload = message.payload
    headers = [
        ("turbine.source.topic", value.partition.topic.name.encode()),
        ("turbine.source.partition", str(value.partition.index).encode()),
        ("turbine.source.offset", str(value.offset).encode()),
    ]
    return KafkaPayload(payload.key, payload.value, headers)


class Progress:
    """Shared between the strategy steps and the main thread."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.acked = 0
        # Outputs acknowledged when the count was reached: the ones inside the timed window (the
        # strategy's join on shutdown acknowledges more, after the clock stopped).
        self.acked_by_done = 0
        self.first_consumed_ns = 0
        self.last_acked_ns = 0
        # Wall-clock instants of the same events, for the harness's count of the outputs on the topic.
        self.first_consumed_at_ms = 0
        self.last_acked_at_ms = 0
        self.done = threading.Event()


class PassThrough(ProcessingStrategy[Any]):
    """A step that hands every message to the next one and only observes it."""

    def __init__(self, progress: Progress, next_step: ProcessingStrategy[Any]) -> None:
        self.progress = progress
        self.next_step = next_step

    def submit(self, message: Message[Any]) -> None:
        self.next_step.submit(message)  # may raise MessageRejected: then this message is resubmitted
        self.observe()

    def observe(self) -> None:
        raise NotImplementedError

    def poll(self) -> None:
        self.next_step.poll()

    def join(self, timeout: Optional[float] = None) -> None:
        self.next_step.join(timeout)

    def close(self) -> None:
        self.next_step.close()

    def terminate(self) -> None:
        self.next_step.terminate()


class MarkFirstConsumed(PassThrough):
    """First step: notes when the first record arrived."""

    def observe(self) -> None:
        if self.progress.first_consumed_ns == 0:
            self.progress.first_consumed_ns = time.perf_counter_ns()
            self.progress.first_consumed_at_ms = time.time_ns() // 1_000_000


class CountAcknowledged(PassThrough):
    """After Produce: every message submitted here has its output acknowledged by the broker."""

    def observe(self) -> None:
        self.progress.acked += 1
        if self.progress.acked == self.progress.count:
            self.progress.last_acked_ns = time.perf_counter_ns()
            self.progress.last_acked_at_ms = time.time_ns() // 1_000_000
            self.progress.acked_by_done = self.progress.acked
            self.progress.done.set()


class Factory(ProcessingStrategyFactory[KafkaPayload]):
    def __init__(self, pool: MultiprocessingPool, producer: KafkaProducer, output: str, progress: Progress) -> None:
        self.pool = pool
        self.producer = producer
        self.output = Topic(output)
        self.progress = progress

    def create_with_partitions(
        self, commit: Commit, partitions: Mapping[Partition, int]
    ) -> ProcessingStrategy[KafkaPayload]:
        return MarkFirstConsumed(
            self.progress,
            RunTaskWithMultiprocessing(
                function=spin_and_copy,
                next_step=Produce(
                    self.producer, self.output, CountAcknowledged(self.progress, CommitOffsets(commit))
                ),
                max_batch_size=MAX_BATCH_SIZE,
                max_batch_time=MAX_BATCH_TIME_S,
                pool=self.pool,
                input_block_size=BLOCK_BYTES,
                output_block_size=BLOCK_BYTES,
            ),
        )

    def shutdown(self) -> None:
        self.pool.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="arroyo_peer.py")
    p.add_argument("--brokers", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--spin-us", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--order", choices=["partition", "key"], default="partition")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout-s", type=int, default=600)
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="[arroyo %(levelname)s] %(message)s")
    args = parse_args(argv)
    # Worker processes are spawned (not forked) and read the spin from their environment.
    os.environ["PEER_SPIN_US"] = str(args.spin_us)

    consumer_config = build_kafka_consumer_configuration(
        # Turbine's fetch batching (src/source/source.ts FETCH_SETTINGS).
        {"fetch.wait.max.ms": 10, "fetch.min.bytes": 65536, "client.id": "turbine-peer-arroyo"},
        group_id=args.group,
        auto_offset_reset="earliest",
        bootstrap_servers=[args.brokers],
    )
    # Turbine's producer settings (src/sink/sink.ts producerConfig).
    producer_config = build_kafka_producer_configuration(
        {
            "client.id": "turbine-peer-arroyo-producer",
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
            "linger.ms": 5,
            "batch.num.messages": 10000,
            "queue.buffering.max.messages": 1000000,
            "compression.codec": "lz4",
        },
        bootstrap_servers=[args.brokers],
    )
    progress = Progress(args.count)
    producer = KafkaProducer(producer_config)
    pool = MultiprocessingPool(num_processes=args.threads)
    processor = StreamProcessor(
        consumer=KafkaConsumer(consumer_config),
        topic=Topic(args.input),
        processor_factory=Factory(pool, producer, args.output, progress),
    )

    # RunTaskWithMultiprocessing installs a SIGCHLD handler, so the processor runs in the main
    # thread; a watcher thread asks it to stop once every output is acknowledged or on timeout.
    def watch() -> None:
        progress.done.wait(args.timeout_s)
        processor.signal_shutdown()  # closes the strategy: CommitOffsets commits on join

    threading.Thread(target=watch, name="arroyo-peer-watch", daemon=True).start()
    failed: list[BaseException] = []
    try:
        processor.run()  # logs and returns on errors of its own
    except BaseException as err:  # noqa: BLE001 - reported below
        failed.append(err)
    finished = progress.done.is_set()
    progress.done.set()
    producer.close().result(60)

    if not finished or progress.acked < args.count:
        reason = failed[0] if failed else f"stopped early or timed out after {args.timeout_s} s"
        print(f"[arroyo] failed: {reason} ({progress.acked}/{args.count} outputs acknowledged)", file=sys.stderr)
        return 1
    ms = (progress.last_acked_ns - progress.first_consumed_ns) / 1e6
    result = {
        "peer": "arroyo",
        "order": "partition",
        "threads": args.threads,
        "spinUs": args.spin_us,
        "records": progress.acked_by_done,
        "ms": round(ms),
        "perSec": round(progress.acked_by_done * 1000 / ms),
        "firstConsumedAtMs": progress.first_consumed_at_ms,
        "lastAckedAtMs": progress.last_acked_at_ms,
    }
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
