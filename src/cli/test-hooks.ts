/**
 * Test-only crash points: INFLUX_RECOVER_TEST_HOOKS=crash-<point> makes the
 * process kill itself with SIGKILL there, as a power cut would, so tests can
 * check what an interrupted run leaves behind. Unset in normal use.
 */
export function crashPoint(point: string): void {
  if ((process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes(`crash-${point}`)) process.kill(process.pid, 'SIGKILL')
}
