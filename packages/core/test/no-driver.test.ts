import { describe, expect, it } from 'vitest';
import { ConfigurationError, Conveyor, Job, Queue } from '../src/index.js';

class Ping extends Job {
  handle() {
    return 'pong';
  }
}

describe('without a driver', () => {
  it('the first dispatch rejects with a ConfigurationError that says how to set one', async () => {
    const conveyor = new Conveyor();
    await expect(conveyor.dispatch(new Ping())).rejects.toThrow(ConfigurationError);
    await expect(conveyor.dispatch(new Ping())).rejects.toThrow(/Queue\.use\(new MemoryDriver\(\)\)/);
  });

  it('the Queue facade says the same', async () => {
    await expect(Queue.dispatch(new Ping())).rejects.toThrow(/No queue driver is configured/);
  });

  it('dispatching something that is not a Job is a TypeError naming the value', () => {
    const conveyor = new Conveyor();
    expect(() => conveyor.dispatch({ handle() {} } as never)).toThrow(TypeError);
    expect(() => conveyor.dispatch('SendEmail' as never)).toThrow(/Cannot dispatch "SendEmail"/);
    class NotAJob {
      handle() {}
    }
    expect(() => conveyor.dispatch(new NotAJob() as never)).toThrow(/NotAJob/);
  });

  it('an unknown connection names itself', () => {
    expect(() => new Conveyor().connection('reports')).toThrow(/Unknown connection "reports"/);
  });
});
