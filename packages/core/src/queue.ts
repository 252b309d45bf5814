import { Conveyor } from './conveyor.js';

/**
 * The default Conveyor instance: `Queue.use(driver)`, then `await Queue.dispatch(new SendEmail(...))`.
 * Workers use it unless given another instance.
 */
export const Queue: Conveyor = new Conveyor();
