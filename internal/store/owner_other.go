//go:build !unix

package store

// noFollow: this system has no O_NOFOLLOW; the note is still created
// exclusively (O_EXCL never follows a link to create its target).
const noFollow = 0
