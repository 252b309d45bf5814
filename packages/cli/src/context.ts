import { Conveyor, type Driver } from '@conveyor/core';
import { type ConveyorConfig, findConfig, isDriver, loadConfig } from './config.js';
import { CliError, EXIT, oneLine } from './errors.js';
import type { Io } from './io.js';

/** Options every command takes (set before or after the command name). */
export interface GlobalOptions {
  config?: string;
  redis?: string;
  prefix?: string;
}

/** What a command works with: the config as loaded and a Conveyor on its driver. */
export interface CliContext {
  config: ConveyorConfig;
  /** The config file loaded, or null (flags only). */
  configPath: string | null;
  conveyor: Conveyor;
  /** Closes the conveyor and its driver (idempotent). */
  close(): Promise<void>;
}

const REDIS_DRIVER = '@conveyor/redis-driver';

/**
 * Loads the config (`--config`, else `conveyor.config.{ts,mjs,js}` in the working directory; optional when
 * `--redis` is given) and opens a Conveyor on its driver. `--redis URL` (or `CONVEYOR_REDIS_URL`) replaces the
 * config's driver with a RedisDriver (`--prefix`/`CONVEYOR_PREFIX`, default `conveyor`); `--prefix` alone is
 * passed to a config whose `driver` is a factory.
 */
export async function openContext(options: GlobalOptions, io: Io): Promise<CliContext> {
  const redisUrl = options.redis ?? io.env.CONVEYOR_REDIS_URL;
  const prefix = options.prefix ?? io.env.CONVEYOR_PREFIX;
  const configPath = findConfig(io.cwd, options.config);
  if (configPath === null && redisUrl === undefined) {
    throw new CliError(
      `No conveyor.config.ts, .mjs or .js in ${io.cwd}: create one (see docs/cli.md), pass --config <path>, or pass --redis <url>.`,
      EXIT.usage,
    );
  }
  const config: ConveyorConfig = configPath === null ? {} : await loadConfig(configPath);
  const where = configPath ?? 'the flags';

  let driver: Driver;
  if (redisUrl !== undefined) {
    if (isDriver(config.driver)) await config.driver.close().catch(() => {}); // built by the config, unused
    driver = await redisDriver(redisUrl, prefix ?? 'conveyor');
  } else if (typeof config.driver === 'function') {
    try {
      driver = await config.driver(prefix === undefined ? {} : { prefix });
    } catch (error) {
      throw new CliError(`The driver function of ${where} threw: ${oneLine(error)}`);
    }
    if (!isDriver(driver)) throw new CliError(`The driver function of ${where} did not return a driver.`);
  } else if (config.driver !== undefined) {
    if (prefix !== undefined) {
      await config.driver.close().catch(() => {});
      throw new CliError(
        `--prefix cannot change the driver ${where} already built: pass --redis <url> too, or export driver as a function ({ prefix }) => new RedisDriver({ prefix }).`,
        EXIT.usage,
      );
    }
    driver = config.driver;
  } else {
    throw new CliError(
      `${where} has no driver: export one (driver: new RedisDriver({ url })) or pass --redis <url>.`,
    );
  }

  let conveyor: Conveyor;
  try {
    conveyor = new Conveyor({
      driver,
      jobs: config.jobs ?? [],
      ...(config.retention === undefined ? {} : { retention: config.retention }),
      ...(config.metrics === undefined ? {} : { metrics: config.metrics }),
    });
    await config.setup?.(conveyor);
  } catch (error) {
    await driver.close().catch(() => {});
    throw new CliError(`Invalid config ${where}: ${oneLine(error)}`);
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    configPath,
    conveyor,
    close: () => (closing ??= conveyor.close().catch(() => {})),
  };
}

async function redisDriver(url: string, prefix: string): Promise<Driver> {
  let module: { RedisDriver: new (options: { url: string; prefix: string }) => Driver };
  try {
    module = (await import(REDIS_DRIVER)) as typeof module;
  } catch (error) {
    throw new CliError(
      `--redis needs ${REDIS_DRIVER}, which did not load (${oneLine(error)}): install it next to @conveyor/cli.`,
    );
  }
  try {
    return new module.RedisDriver({ url, prefix });
  } catch (error) {
    throw new CliError(`Invalid --redis ${JSON.stringify(url)}: ${oneLine(error)}`, EXIT.usage);
  }
}
