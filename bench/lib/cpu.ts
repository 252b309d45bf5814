/**
 * CPU spent during a measurement, per job: this process's (user + system, from `process.cpuUsage`) and the Redis
 * server's (`INFO cpu`; on a shared server it includes other clients' work). Wall-clock figures on a busy
 * machine are noisy; these say where the time goes.
 */
import type { Redis } from 'ioredis';

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return user + sys;
}

export async function cpuMeter(
  redis: Redis,
): Promise<(jobs: number) => Promise<{ clientUsPerJob: number; redisUsPerJob: number }>> {
  const client = process.cpuUsage();
  const server = await redisCpuSeconds(redis);
  return async (jobs) => {
    const used = process.cpuUsage(client);
    const serverUsed = (await redisCpuSeconds(redis)) - server;
    return { clientUsPerJob: (used.user + used.system) / jobs, redisUsPerJob: (serverUsed * 1e6) / jobs };
  };
}
