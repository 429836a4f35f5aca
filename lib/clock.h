/*
 * clock: the monotonic clock, for timeouts and durations.
 *
 * Never the wall clock: these values do not jump when the system time
 * is set, and mean nothing outside this process.
 */
#ifndef RB_CLOCK_H
#define RB_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC. */
long long rb_clock_ms(void);

/* Seconds on CLOCK_MONOTONIC, with the fraction. */
double rb_clock_s(void);

#endif
