package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// The loop lock: a running fleetq loop holds an exclusive lock on DB.loop
// for as long as it runs, and writes there who it is (host, pid, process
// start, since), so a second loop on the same database is refused naming
// the first. The kernel releases the lock when the holder exits or is
// killed, so a note a dead loop left behind is stale by construction: the
// next loop takes the lock and rewrites the note. The file stays (empty)
// when a loop ends: removing it would race a loop opening it.

// loopNote is what DB.loop holds while a loop runs.
type loopNote struct {
	Host  string `json:"host"`
	PID   int    `json:"pid"`
	Start string `json:"start,omitempty"` // /proc/PID/stat starttime, clock ticks since boot
	Since string `json:"since"`
	Every string `json:"every"`
}

func loopLockPath(db string) string { return db + ".loop" }

// describe names the holder for the refusal.
func (n *loopNote) describe() string {
	s := fmt.Sprintf("pid %d on %s, looping every %s since %s", n.PID, n.Host, n.Every, n.Since)
	if n.Start != "" {
		s += " (process start " + n.Start + ")"
	}
	return s
}

// acquireLoopLock takes DB.loop or refuses, exit status 3, naming the
// holder. release unlocks it and empties the note.
func acquireLoopLock(db string, every time.Duration) (release func(), err error) {
	path := loopLockPath(db)
	f, err := openLockFile(path)
	if err != nil {
		return nil, fmt.Errorf("loop lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		holder := "a process whose note is unreadable"
		if data, rerr := os.ReadFile(path); rerr == nil {
			var n loopNote
			if json.Unmarshal(data, &n) == nil && n.PID != 0 {
				holder = n.describe()
			}
		}
		f.Close()
		return nil, &exitError{code: exitLocked, err: fmt.Errorf("another fleetq loop runs on %s: %s (%s); stop it first", db, holder, path)}
	}
	host, _ := os.Hostname()
	note, _ := json.Marshal(loopNote{Host: host, PID: os.Getpid(), Start: procStartOf(os.Getpid()), Since: time.Now().UTC().Format(time.RFC3339), Every: every.String()})
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt(append(note, '\n'), 0)
	}
	if err != nil {
		unlockFile(f)
		f.Close()
		return nil, fmt.Errorf("loop lock %s: writing who holds it: %w", path, err)
	}
	return func() {
		_ = f.Truncate(0)
		unlockFile(f)
		f.Close()
	}, nil
}

// procStartOf is a process's start time in clock ticks since boot (field
// 22 of /proc/PID/stat), "" where there is no /proc.
func procStartOf(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}
