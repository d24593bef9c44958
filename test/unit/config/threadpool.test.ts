import { libuvThreadpoolSize, threadpoolEnv, threadpoolSizeOf } from '../../../src/config/threadpool';

describe('libuv thread pool size', () => {
  it('is two per worker thread plus two, never below libuv’s 4 nor above its 1024', () => {
    expect(libuvThreadpoolSize(1)).toBe(4);
    expect(libuvThreadpoolSize(2)).toBe(6);
    expect(libuvThreadpoolSize(16)).toBe(34);
    expect(libuvThreadpoolSize(1024)).toBe(1024);
  });

  it('keeps what the operator set, and sets it otherwise', () => {
    expect(threadpoolEnv({ UV_THREADPOOL_SIZE: '64' }, 16)).toEqual({});
    expect(threadpoolEnv({}, 16)).toEqual({ UV_THREADPOOL_SIZE: '34' });
    expect(threadpoolEnv({ UV_THREADPOOL_SIZE: '' }, 3)).toEqual({ UV_THREADPOOL_SIZE: '8' });
  });

  it('reads the size libuv takes from the environment: its 4 when unset or not a number', () => {
    expect(threadpoolSizeOf({ UV_THREADPOOL_SIZE: '34' })).toBe(34);
    expect(threadpoolSizeOf({})).toBe(4);
    expect(threadpoolSizeOf({ UV_THREADPOOL_SIZE: 'lots' })).toBe(4);
    expect(threadpoolSizeOf({ UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
  });
});
