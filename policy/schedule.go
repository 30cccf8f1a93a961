package policy

import (
	"fmt"
	"strings"
	"time"
)

// schedule limits a rule to some days and hours in a time zone. A window
// that wraps past midnight (22:00-06:00) belongs to the day it starts on.
type schedule struct {
	days     [7]bool // indexed by time.Weekday; all true when days is absent
	allDays  bool
	from, to int // minutes since midnight; from == to == -1: all day
	loc      *time.Location
	tzName   string
	daysRaw  []string
	hoursRaw string
}

// dayName reads a day's name: "mon" or "monday" (a switch, not a map that
// every process would build at start-up).
func dayName(s string) (time.Weekday, bool) {
	switch s {
	case "sun", "sunday":
		return time.Sunday, true
	case "mon", "monday":
		return time.Monday, true
	case "tue", "tuesday":
		return time.Tuesday, true
	case "wed", "wednesday":
		return time.Wednesday, true
	case "thu", "thursday":
		return time.Thursday, true
	case "fri", "friday":
		return time.Friday, true
	case "sat", "saturday":
		return time.Saturday, true
	}
	return 0, false
}

var dayKeys = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// parseDay reads "mon" or "monday", or a range "mon-fri".
func (s *schedule) addDays(item string) (hint string, err error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(item), "-")
	a, ok := dayName(lo)
	if !ok {
		return dayHint(lo), fmt.Errorf("unknown day %q", item)
	}
	if !isRange {
		s.days[a] = true
		return "", nil
	}
	b, ok := dayName(hi)
	if !ok {
		return dayHint(hi), fmt.Errorf("unknown day %q", item)
	}
	if a == b {
		// One day, or the whole week round to it again? Never guess.
		return fmt.Sprintf("write %s for that day alone, or leave days out for every day", lo), fmt.Errorf("day range %q starts and ends on the same day", item)
	}
	// Ranges run forward from a to b, wrapping the week (fri-mon = fri,sat,sun,mon).
	for d := a; ; d = (d + 1) % 7 {
		s.days[d] = true
		if d == b {
			break
		}
	}
	return "", nil
}

func dayHint(s string) string {
	if c := closestKey(s, dayKeys); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return "days are mon, tue, wed, thu, fri, sat, sun (or ranges like mon-fri)"
}

// parseHours reads "HH:MM-HH:MM".
func parseHours(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("hours %q must be a range like \"09:00-17:00\"", s)
	}
	if from, err = parseClock(a); err != nil {
		return 0, 0, err
	}
	if to, err = parseClock(b); err != nil {
		return 0, 0, err
	}
	if from == 24*60 {
		return 0, 0, fmt.Errorf("hours %q starts at 24:00; write 00:00", s)
	}
	if from == to || (from == 0 && to == 24*60) {
		return 0, 0, fmt.Errorf("hours %q is not a window; leave hours out for the whole day", s)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("bad time of day %q: want HH:MM, 24-hour", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (s *schedule) active(t time.Time) bool {
	t = t.In(s.loc)
	day := t.Weekday()
	if s.from < 0 {
		return s.allDays || s.days[day]
	}
	m := t.Hour()*60 + t.Minute()
	if s.from < s.to {
		return m >= s.from && m < s.to && (s.allDays || s.days[day])
	}
	// Wrapping window: the evening belongs to today, the early morning to
	// the window that started yesterday.
	if m >= s.from {
		return s.allDays || s.days[day]
	}
	if m < s.to {
		return s.allDays || s.days[(day+6)%7]
	}
	return false
}

func (s *schedule) String() string {
	var parts []string
	if !s.allDays {
		parts = append(parts, "days "+strings.Join(s.daysRaw, ","))
	}
	if s.hoursRaw != "" {
		parts = append(parts, "hours "+s.hoursRaw)
	}
	parts = append(parts, "time zone "+s.tzName)
	return strings.Join(parts, ", ")
}
