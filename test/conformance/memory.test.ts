import { MemoryDriver } from '@conveyor/memory-driver';
import { describeDriver } from './describe-driver.js';

describeDriver('memory', {
  create: () => new MemoryDriver(),
  destroy: (driver) => driver.close(),
});
