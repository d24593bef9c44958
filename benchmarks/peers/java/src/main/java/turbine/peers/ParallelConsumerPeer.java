package turbine.peers;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import io.confluent.parallelconsumer.PollContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Peer "parallel-consumer": Confluent Parallel Consumer with ProcessingOrder PARTITION or KEY
 * (from --order), maxConcurrency = --threads, and pollAndProduceMany so that PC produces the
 * outputs and commits each input only after its outputs are acknowledged. The user function spins
 * W µs per record (System.nanoTime busy-wait, like workers/spin.ts) and returns one output per
 * input with the same key and value plus Turbine's lineage headers.
 *
 * <p>PC's worker thread blocks until its produced records are acknowledged (ParallelEoSStreamProcessor
 * waits on the send futures), so with one record per call and linger.ms=5 a thread would spend most
 * of its time waiting. The peer therefore hands PC batches (--pc-batch-size, default 100 records,
 * or PEER_PC_BATCH_SIZE), as PC's documentation suggests for throughput; see benchmarks/peers/README.md.
 *
 * <p>PARTITION order has a ceiling that is PC's design, not a setting: PC 0.5.3.3 hands out at most one
 * record per partition at a time (ProcessingShard#getWorkIfAvailable stops scanning a shard after its
 * first entry in any ordered mode, and in PARTITION order a shard is a partition; PC's javadoc:
 * "Concurrency is at most the number of partitions"), and the partition stays blocked until that
 * record's outputs are acknowledged (processAndProduceResults: "wait for all acks to complete"). So a
 * batch holds at most one record per partition whatever batchSize says, and each partition moves one
 * record per spin + linger + acknowledgement cycle (7-10 ms at W = 0 here).
 *
 * <p>Below that ceiling the peer used to lose another 2-3x, and that part was ours: PC stops polling
 * (pauses the whole assignment) once it holds maxConcurrency x batchSize x loadFactor records (400 with
 * 2 threads and batch 100), while one fetch brings a whole record batch of a partition (the benchmark's
 * input has batches of up to ~960 records), so PC's buffer held one to four partitions' records and the
 * other partitions had nothing to hand out (sampled: 4 of 12 partitions held records on average, 471
 * records/s; with the buffer below, 11.8 of 12 and 1,141/s). PC 0.5.3.3 has no buffer option of its own
 * (later versions add messageBufferSize), and in PARTITION order batchSize changes nothing but that
 * buffer, so the peer raises batchSize there until the buffer holds PARTITION_BUFFER_RECORDS records per
 * partition (PEER_PC_PARTITION_BUFFER overrides it; 0 gives the old behaviour).
 *
 * <p>What is timed: from the first record handed to the user function to the moment the C-th output
 * is acknowledged; "records" is the number of outputs acknowledged by then (C, since PC calls the
 * callback once per acknowledged output). It used to be read after closeDrainFirst, which went on
 * processing every record PC had already fetched (the benchmark's input holds about four times C),
 * so "records" counted outputs acknowledged after the clock had stopped: 5,499 "records" in
 * 3,889 ms for C = 2,000 at W = 1000 in key order, 1,414/s reported for 514/s real.
 */
public final class ParallelConsumerPeer {
  private ParallelConsumerPeer() {}

  /** Records per partition PC must be able to buffer in PARTITION order: about one fetch's worth (see above). */
  private static final String PARTITION_BUFFER_RECORDS = "1000";

  /** DynamicLoadFactor.DEFAULT_INITIAL_LOADING_FACTOR of PC 0.5.3.3: the buffer starts at 2 x maxConcurrency x batchSize. */
  private static final int PC_INITIAL_LOAD_FACTOR = 2;

  private static final String USAGE =
      "usage: parallel-consumer --brokers B --input T --output T2 --group G --spin-us W --threads N"
          + " --order partition|key --count C [--timeout-s S]";

  static void spin(long microseconds) {
    if (microseconds <= 0) return;
    long end = System.nanoTime() + microseconds * 1000L;
    while (System.nanoTime() < end) {
      // busy: the point is to use the CPU
    }
  }

  private static Map<String, String> parse(String[] argv) {
    Map<String, String> out = new HashMap<>();
    out.put("spin-us", "0");
    out.put("threads", "1");
    out.put("order", "partition");
    out.put("timeout-s", "600");
    out.put("pc-batch-size", System.getenv().getOrDefault("PEER_PC_BATCH_SIZE", "100"));
    out.put("pc-partition-buffer", System.getenv().getOrDefault("PEER_PC_PARTITION_BUFFER", PARTITION_BUFFER_RECORDS));
    for (int i = 0; i < argv.length; i += 2) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("bad argument " + argv[i]);
      out.put(argv[i].substring(2), argv[i + 1]);
    }
    for (String required : List.of("brokers", "input", "output", "group", "count")) {
      if (!out.containsKey(required)) throw new IllegalArgumentException("missing --" + required);
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args;
    try {
      args = parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println("[parallel-consumer] " + e.getMessage() + "\n" + USAGE);
      System.exit(2);
      return;
    }
    String brokers = args.get("brokers");
    String input = args.get("input");
    String output = args.get("output");
    long spinUs = Long.parseLong(args.get("spin-us"));
    int threads = Integer.parseInt(args.get("threads"));
    long count = Long.parseLong(args.get("count"));
    long timeoutS = Long.parseLong(args.get("timeout-s"));
    int batchSize = Integer.parseInt(args.get("pc-batch-size"));
    String order = args.get("order");
    ProcessingOrder ordering = order.equals("key") ? ProcessingOrder.KEY : ProcessingOrder.PARTITION;

    Properties consumerProps = new Properties();
    consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, args.get("group"));
    consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "turbine-peer-parallel-consumer");
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"); // PC commits itself
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Turbine's fetch batching (src/source/source.ts FETCH_SETTINGS).
    consumerProps.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
    consumerProps.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "65536");
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

    // Turbine's producer: idempotent (acks=all), lz4, linger 5 ms; batch.size as librdkafka's default.
    Properties producerProps = new Properties();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "turbine-peer-parallel-consumer-producer");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, "1000000");
    producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);
    if (ordering == ProcessingOrder.PARTITION) {
      // See the class comment: batchSize only sizes PC's buffer in this order, so make the buffer hold
      // about one fetch per partition, or partitions starve while PC holds another partition's records.
      long perPartition = Long.parseLong(args.get("pc-partition-buffer"));
      var partitionInfos = consumer.partitionsFor(input);
      if (partitionInfos == null || partitionInfos.isEmpty()) {
        System.err.println("[parallel-consumer] input topic " + input + " has no partitions");
        System.exit(1);
      }
      long multiplier = threads * (long) PC_INITIAL_LOAD_FACTOR; // buffer = batchSize x multiplier
      long wanted = (partitionInfos.size() * perPartition + multiplier - 1) / multiplier;
      if (wanted > batchSize) batchSize = (int) Math.min(Integer.MAX_VALUE, wanted);
      System.err.println("[parallel-consumer] partition order: batchSize " + batchSize + ", so PC buffers "
          + batchSize * multiplier + " records for " + partitionInfos.size() + " partitions");
    }

    ParallelConsumerOptions<byte[], byte[]> options =
        ParallelConsumerOptions.<byte[], byte[]>builder()
            .consumer(consumer)
            .producer(new KafkaProducer<>(producerProps))
            .ordering(ordering)
            .maxConcurrency(threads)
            .batchSize(batchSize)
            .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
            .build();
    ParallelStreamProcessor<byte[], byte[]> pc = ParallelStreamProcessor.createEosStreamProcessor(options);

    AtomicLong firstConsumedAt = new AtomicLong();
    AtomicLong lastAckedAt = new AtomicLong();
    // Wall-clock instants of the same two events: the harness counts the outputs the broker appended
    // (LogAppendTime, same host clock) up to lastAckedAtMs, so it need not trust this process's count.
    AtomicLong firstConsumedAtMs = new AtomicLong();
    AtomicLong lastAckedAtMs = new AtomicLong();
    AtomicLong acked = new AtomicLong();
    AtomicLong ackedByDone = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    byte[] sourceTopic = utf8(input);

    pc.subscribe(List.of(input));
    pc.pollAndProduceMany(
        (PollContext<byte[], byte[]> context) -> {
          if (firstConsumedAt.compareAndSet(0, System.nanoTime())) firstConsumedAtMs.set(System.currentTimeMillis());
          List<ConsumerRecord<byte[], byte[]>> records = context.getConsumerRecordsFlattened();
          List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>(records.size());
          for (ConsumerRecord<byte[], byte[]> r : records) {
            spin(spinUs);
            RecordHeaders headers = new RecordHeaders();
            headers.add("turbine.source.topic", sourceTopic);
            headers.add("turbine.source.partition", utf8(Integer.toString(r.partition())));
            headers.add("turbine.source.offset", utf8(Long.toString(r.offset())));
            outputs.add(new ProducerRecord<>(output, null, r.key(), r.value(), headers));
          }
          return outputs;
        },
        result -> {
          // Called once per output, after the broker acknowledged it. Outputs acknowledged after the
          // C-th (other threads' batches finishing while the processor closes) are outside the timed
          // window and must not be counted in it.
          long n = acked.incrementAndGet();
          if (n == count) {
            lastAckedAt.set(System.nanoTime());
            lastAckedAtMs.set(System.currentTimeMillis());
            ackedByDone.set(n);
            done.countDown();
          }
        });

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
    while (!done.await(500, TimeUnit.MILLISECONDS)) {
      if (pc.isClosedOrFailed()) {
        System.err.println("[parallel-consumer] failed: the processor closed or failed (see its log above)");
        System.exit(1);
      }
      if (System.nanoTime() > deadline) {
        System.err.println("[parallel-consumer] timed out after " + timeoutS + " s with " + acked.get() + "/" + count + " outputs acknowledged");
        System.exit(1);
      }
    }
    // DONT_DRAIN: stop handing out queued records, let the batches already running finish, and
    // commit what completed (at-least-once). Draining would process everything PC has fetched
    // beyond C, which the measurement does not use and which took a minute in partition order.
    pc.closeDontDrainFirst(Duration.ofSeconds(30));
    long records = ackedByDone.get();
    double ms = (lastAckedAt.get() - firstConsumedAt.get()) / 1e6;
    System.err.println("[parallel-consumer] " + acked.get() + " outputs acknowledged in all, " + records + " by the end of the timed window");
    System.out.printf(
        "{\"peer\":\"parallel-consumer\",\"order\":\"%s\",\"threads\":%d,\"spinUs\":%d,\"records\":%d,\"ms\":%d,\"perSec\":%d,"
            + "\"firstConsumedAtMs\":%d,\"lastAckedAtMs\":%d}%n",
        order, threads, spinUs, records, Math.round(ms), Math.round(records * 1000.0 / ms),
        firstConsumedAtMs.get(), lastAckedAtMs.get());
    System.out.flush();
    System.exit(0);
  }
}
