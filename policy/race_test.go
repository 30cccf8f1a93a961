//go:build race

package policy

// sync.Pool drops items at random under the race detector.
const raceEnabled = true
