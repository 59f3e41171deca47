// Package agefmt writes durations the way operators read ages (45s, 12m,
// 3h05m, 2d4h): the one spelling of every age fleetq prints, on the
// command line and on the dashboard.
package agefmt

import (
	"fmt"
	"time"
)

// Age is d as an age: 45s, 12m, 3h05m, 2d4h; a negative d (a clock
// behind the one that stamped it) is 0s.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
