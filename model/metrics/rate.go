package metrics

import "time"

// Rate estimates the speed and the time left of work counted towards a total (images of a crop
// build, bytes of a download). It counts from its first update, so that work done before it started
// (a resumed build's finished images) is not taken for speed. The CLI's bars and the app's load
// meter use it, so both show the same ETA. Its zero value is ready; it is not safe for concurrent
// use.
type Rate struct {
	start     time.Time
	startDone int64
}

// Update records that done of total are done at now, and returns the rate per second since the
// first update and the time left at that rate; ok is false until there is a rate (a second after
// the first update, with progress).
func (r *Rate) Update(done, total int64, now time.Time) (perSecond float64, left time.Duration, ok bool) {
	if r.start.IsZero() {
		r.start, r.startDone = now, done
	}
	el := now.Sub(r.start)
	if done <= r.startDone || el < time.Second {
		return 0, 0, false
	}
	perSecond = float64(done-r.startDone) / el.Seconds()
	left = time.Duration(float64(max(total-done, 0)) / perSecond * float64(time.Second))
	return perSecond, left, true
}
