package schedule

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC) // a Wednesday

const good = `name = "kernel-w50"
week = "2026-12-07"
zone = "Europe/Berlin"
scope = 'dc = "smf1"'
length = "4h"
customer = "tenant"

[[step]]
start = "Mon 09:00"
name = "infra"
expr = 'service = "builder"'

[[step]]
start = "Mon 13:00"
length = "2h"
  [[step.take]]
  expr = 'service = "router"'
  max = 1
  [[step.take]]
  expr = 'service = "storage"'
  max = "5%"
`

func TestParseGood(t *testing.T) {
	s, err := Parse("w.toml", []byte(good), now)
	require.NoError(t, err)
	assert.Equal(t, "kernel-w50", s.Name)
	assert.Equal(t, "2026-12-07 00:00:00 +0100 CET", s.Week.String())
	assert.Equal(t, DefaultVerbs, s.Verbs)
	assert.Equal(t, "tenant", s.Customer)
	require.Len(t, s.Steps, 2)
	assert.Equal(t, time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), s.Steps[0].Start)
	assert.Equal(t, time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), s.Steps[0].End)
	assert.Equal(t, time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC), s.Steps[1].End)
	assert.Equal(t, []Take{{Expr: `service = "builder"`, Line: 11}}, s.Steps[0].Takes)
	assert.Equal(t, []Take{{Expr: `service = "router"`, Max: Limit{Count: 1}, Line: 17}, {Expr: `service = "storage"`, Max: Limit{Pct: 5}, Line: 20}}, s.Steps[1].Takes)
	assert.Equal(t, "5%", s.Steps[1].Takes[1].Max.String())
}

func TestParseWeekDefaultsAndISO(t *testing.T) {
	for _, c := range []struct {
		week string
		now  time.Time
		want string
	}{
		{"", now, "2026-12-07"},
		{"", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), "2026-12-14"}, // a Monday: the next one
		{"", time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC), "2026-12-07"},
		{"2026-W50", now, "2026-12-07"},
		{"2026-W01", now, "2025-12-29"},
		{"2020-W53", now, "2020-12-28"},
	} {
		w, err := parseWeek(c.week, time.UTC, c.now)
		require.NoError(t, err, c.week)
		assert.Equal(t, c.want, w.Format("2006-01-02"), "%q at %s", c.week, c.now)
	}
	for _, bad := range []string{"2026-12-08", "2026-W54", "2021-W53", "next week"} {
		_, err := parseWeek(bad, time.UTC, now)
		assert.Error(t, err, bad)
	}
}

// TestParseErrors: every bad file is one error naming the file and the
// line of the offending key.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"scope = 'all'\nstep = 3\n", "w.toml:2: step: incompatible types"},
		{"scope = 'all'\nweeks = \"2026-12-07\"\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", `w.toml:2: unknown key "weeks"`},
		{"scope = 'all'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n[[step]]\nstart = \"Tue 09:00\"\n[[step.take]]\nexpr = 'all'\nmaxx = 3\n", `w.toml:9: unknown key "step.take.maxx"`},
		{"scope = 'all'\nweek = \"2026-12-08\"\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", "w.toml:2: week \"2026-12-08\": 2026-12-08 is a Tuesday"},
		{"scope = 'all'\nzone = \"Mars/Olympus\"\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", "w.toml:2: zone"},
		{"[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", "w.toml: scope"},
		{"scope = 'all'\n", "w.toml: no [[step]]"},
		{"scope = 'all'\n[[step]]\nstart = \"Monday 9am\"\nexpr = 'all'\n", `w.toml:3: step 1: start "Monday 9am"`},
		{"scope = 'all'\n[[step]]\nstart = \"Mon 09:00\"\n", "w.toml:2: step 1: expected expr"},
		{"scope = 'all'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\nmax = \"0%\"\n", `w.toml:5: step 1: max = "0%"`},
		{"scope = 'all'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\nmax = 0\n", `w.toml:5: step 1: max = 0`},
		{"scope = 'all'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\nmax = 1.5\n", `w.toml:5: step 1: max = 1.5`},
		{"scope = 'all'\n[[step]]\nstart = \"Tue 09:00\"\nexpr = 'all'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", "w.toml:6: step 2 starts at Mon 09:00, not after step 1 (Tue 09:00)"},
		{"scope = 'all'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n[[step]]\nstart = \"Mon 11:00\"\nexpr = 'all'\n", "w.toml:6: step 2 starts at Mon 11:00, before step 1 ends (Mon 13:00)"},
		{"scope = 'all'\n[[step]]\nstart = \"Sun 22:00\"\nexpr = 'all'\n", "w.toml:2: step 1: Sun 22:00 plus 4h0m0s ends after the week"},
		{"scope = 'all'\nlength = \"-1h\"\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", `w.toml:2: length "-1h"`},
		{"scope = 'all'\nverbs = [\"reboot\", \"kick\"]\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", `w.toml:2: verbs: unknown verb "kick"`},
		{"scope = 'all'\nname = \"w3\"\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", `w.toml:2: name "w3"`},
		{"scope = 'all'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n[[step.take]]\nexpr = 'all'\n", "w.toml:4: step 1: expr/max on the step and [[step.take]]"},
		{"scope = 'all\n", "w.toml:1:"},
	} {
		_, err := Parse("w.toml", []byte(c.text), now)
		require.Error(t, err, c.text)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "invalid schedule: "+c.want, c.text)
	}
}

// TestLimitOf against a naive reference: the smallest k with
// k >= pct% of n (k*100 >= pct*n, in exact integer arithmetic on
// percentages with at most two decimals), capped at n.
func TestLimitOf(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FLEETQ_LIMIT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (FLEETQ_LIMIT_SEED replays it)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 20000 {
		n := rng.IntN(5000)
		hundredths := 1 + rng.IntN(10000) // 0.01% .. 100%
		pct := float64(hundredths) / 100
		want := 0
		for want*10000 < hundredths*n {
			want++
		}
		require.Equal(t, want, Limit{Pct: pct}.Of(n), fmt.Sprintf("%v%% of %d", pct, n))
		c := 1 + rng.IntN(100)
		require.Equal(t, min(c, n), Limit{Count: c}.Of(n))
		require.Equal(t, n, Limit{}.Of(n))
	}
}
