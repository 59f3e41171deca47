package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// maxTextFile bounds a file a person writes that fleetq reads whole: a
// definitions file (--defs, defs set) or a script (run). docs/limits.md.
const maxTextFile = 16 << 20

// errTextTooLarge is returned by readTextFile past maxTextFile.
var errTextTooLarge = errors.New("file too large")

// readTextFile is os.ReadFile that stops after maxTextFile bytes
// (`fleetq run /dev/zero` would otherwise grow without end).
func readTextFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTextFile+1))
	if err == nil && len(data) > maxTextFile {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: more than %d bytes (definitions and scripts are files a person writes; see docs/limits.md)", errTextTooLarge, maxTextFile)}
	}
	return data, err
}
