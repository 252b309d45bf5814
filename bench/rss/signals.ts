/** Tells the parent a job runs. */
export function started(): void {
  process.stdout.write('STARTED\n');
}

/** Stays alive until killed, or until stdin closes (the parent is gone). */
export function holdOpen(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
