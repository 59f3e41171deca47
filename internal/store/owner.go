package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"
)

// The lock note: a writer leaves PATH.writer beside the file while it holds
// the lock, so a blocked writer can say which process holds it. The note is
// created exclusively and never through a symbolic link (a link planted at
// PATH.writer would otherwise make the next writer overwrite its target),
// holds no command-line arguments (they may carry reasons or tokens), and
// records the holder's process start time, so a note left by a killed
// writer, whose pid may since have been reused, is recognised as stale.

// ErrBadLockNote is returned by Open when PATH.writer exists and is not a
// regular file (a symbolic link, a directory, …): fleetq never writes
// through it and refuses to guess.
var ErrBadLockNote = errors.New("lock note is not a regular file")

// ownerNote is what PATH.writer holds.
type ownerNote struct {
	PID     int    `json:"pid"`
	Start   string `json:"start,omitempty"` // /proc/PID/stat starttime (clock ticks since boot)
	User    string `json:"user,omitempty"`
	Command string `json:"command,omitempty"` // "fleetq drain": a command name, no arguments
	Since   string `json:"since"`
}

// ownerPath is the note's file name.
func ownerPath(path string) string { return path + ".writer" }

// writeOwner writes this process's note and returns what it wrote, so
// Close removes only a note this process wrote (the note names its pid and
// start time: no other process writes the same bytes). A regular
// file already there is a note left by a killed writer (this process holds
// the lock now) and is replaced; anything else is refused.
func writeOwner(path, owner string) ([]byte, error) {
	note, err := json.Marshal(ownerNote{
		PID: os.Getpid(), Start: procStart(os.Getpid()), User: userName(),
		Command: owner, Since: time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return nil, err
	}
	note = append(note, '\n')
	name := ownerPath(path)
	err = createNote(name, note)
	if errors.Is(err, fs.ErrExist) {
		if err := removeStaleNote(name); err != nil {
			return nil, err
		}
		err = createNote(name, note)
	}
	if err != nil {
		return nil, fmt.Errorf("lock note %s: %w", name, err)
	}
	return note, nil
}

// createNote creates name exclusively, never following a link.
func createNote(name string, note []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(note)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
	}
	return err
}

// removeStaleNote removes a regular file left at name; anything else is
// ErrBadLockNote and stays.
func removeStaleNote(name string) error {
	fi, err := os.Lstat(name)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w (%s); remove it", name, ErrBadLockNote, fileType(fi.Mode()))
	}
	return os.Remove(name)
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	}
	return "mode " + m.Type().String()
}

// removeOwner removes the note only when it still holds what this
// process wrote.
func removeOwner(path string, mine []byte) {
	if mine == nil {
		return
	}
	name := ownerPath(path)
	f, err := os.OpenFile(name, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return
	}
	got := make([]byte, len(mine)+1)
	n, _ := io.ReadFull(f, got)
	f.Close()
	if bytes.Equal(got[:n], mine) {
		_ = os.Remove(name)
	}
}

// lockHolder says who holds the lock, from the note: a holder that has
// exited (or whose pid now names a process started at another time) is
// reported as a stale note, not blamed.
func lockHolder(path string) string {
	const nobody = "a reader or a writer that left no note"
	n, err := readOwner(ownerPath(path))
	if err != nil {
		return "held by " + nobody
	}
	who := n.describe()
	if !n.alive() {
		return fmt.Sprintf("held by %s; the note names pid %d%s, which has exited (stale note)", nobody, n.PID, who)
	}
	return fmt.Sprintf("held by pid %d%s", n.PID, who)
}

func readOwner(name string) (*ownerNote, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var n ownerNote
	if err := json.NewDecoder(f).Decode(&n); err != nil || n.PID <= 0 {
		return nil, fmt.Errorf("%s: not a lock note", name)
	}
	return &n, nil
}

// describe is " (fleetq drain, user ops, since 2026-…)".
func (n *ownerNote) describe() string {
	var parts []string
	if n.Command != "" {
		parts = append(parts, n.Command)
	}
	if n.User != "" {
		parts = append(parts, "user "+n.User)
	}
	parts = append(parts, "since "+n.Since)
	return " (" + strings.Join(parts, ", ") + ")"
}

// alive reports whether the note's process still runs: its pid exists and,
// where the start time is known, started when the note says. Without /proc
// the holder is assumed alive.
func (n *ownerNote) alive() bool {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return true
	}
	start := procStart(n.PID)
	return start != "" && (n.Start == "" || start == n.Start)
}

// procStart is field 22 (starttime) of /proc/PID/stat, or "" when the
// process does not exist or the system has no /proc.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses: fields are counted after its last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" { // a zombie has exited
		return ""
	}
	return f[19] // fields 3… follow the name: starttime is field 22
}

func userName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
