/**
 * The size of libuv's thread pool for an engine process. Node's default is 4 threads per process,
 * shared by every worker thread: a worker whose work runs there (sharp/libvips conversions, zlib,
 * crypto, fs) got at most 4 such jobs at once whatever the pool size, and node-rdkafka's consume,
 * commit and close calls take from the same 4. So an engine process asks for two per worker
 * thread plus two for the Kafka client, unless the operator set UV_THREADPOOL_SIZE. libuv reads the
 * variable once, at the pool's first use, so it must be set before any asynchronous fs, dns,
 * crypto or native call.
 */
const LIBUV_DEFAULT = 4;
const LIBUV_MAX = 1024;

export function libuvThreadpoolSize(poolSize: number): number {
  return Math.min(LIBUV_MAX, Math.max(LIBUV_DEFAULT, poolSize * 2 + 2));
}

/** libuv's pool size as this process's environment sets it (what libuv reads at first use). */
export function threadpoolSizeOf(env: NodeJS.ProcessEnv): number {
  const set = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(set) && set > 0 ? Math.min(LIBUV_MAX, set) : LIBUV_DEFAULT;
}

/** Sizes this process's libuv pool for `poolSize` worker threads; call before anything uses the pool. */
export function sizeThreadpool(poolSize: number): void {
  Object.assign(process.env, threadpoolEnv(process.env, poolSize));
}

/** The environment entry to give an engine process of `poolSize` threads: none when the operator chose. */
export function threadpoolEnv(env: NodeJS.ProcessEnv, poolSize: number): { UV_THREADPOOL_SIZE?: string } {
  if (env.UV_THREADPOOL_SIZE !== undefined && env.UV_THREADPOOL_SIZE !== '') return {};
  return { UV_THREADPOOL_SIZE: String(libuvThreadpoolSize(poolSize)) };
}
