package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Token is one entry of the tokens file. The secret is not in it.
type Token struct {
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Automation bool      `json:"automation,omitempty"`
	Hash       string    `json:"sha256"`
	Created    time.Time `json:"created"`
	CreatedBy  string    `json:"created_by,omitempty"`
}

// Principal is who presents the token.
func (t Token) Principal() Principal {
	r, _ := ParseRole(t.Role) // checked when the file was read
	return Principal{Name: t.Name, Role: r, Automation: t.Automation}
}

// tokensFile is the file's shape: a version, so a later layout can be
// told apart, and the tokens in the order they were created.
type tokensFile struct {
	Version int     `json:"version"`
	Tokens  []Token `json:"tokens"`
}

const (
	fileVersion  = 1
	secretPrefix = "fq_"
	secretBytes  = 32
)

// ErrNoToken is an unknown, revoked or malformed secret.
var ErrNoToken = errors.New("unknown or revoked token")

var (
	validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
	b32       = base32.StdEncoding.WithPadding(base32.NoPadding)
)

// CheckName says whether name may name a token: letters, digits and
// ._@- (at most 64), not starting with a symbol, and not the fleetlock:
// prefix FleetLock clients are recorded under.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("token name %q: expected 1-64 letters, digits or ._@- starting with a letter or digit", name)
	}
	return nil
}

// Hash is the SHA-256 of a secret, as the file keeps it.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// newSecret is a fresh random secret.
func newSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return secretPrefix + strings.ToLower(b32.EncodeToString(b)), nil
}

// Read reads the tokens file at path. A missing file is no tokens.
func Read(path string) ([]Token, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parse(path, b)
}

func parse(path string, b []byte) ([]Token, error) {
	var f tokensFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: not a fleetq tokens file: %v", path, err)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("%s: tokens file version %d, expected %d", path, f.Version, fileVersion)
	}
	seen := map[string]bool{}
	for i, t := range f.Tokens {
		if err := CheckName(t.Name); err != nil {
			return nil, fmt.Errorf("%s: token %d: %v", path, i+1, err)
		}
		if _, err := ParseRole(t.Role); err != nil {
			return nil, fmt.Errorf("%s: token %q: %v", path, t.Name, err)
		}
		if len(t.Hash) != 64 {
			return nil, fmt.Errorf("%s: token %q: sha256 must be 64 hex digits", path, t.Name)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("%s: token %q appears twice", path, t.Name)
		}
		seen[t.Name] = true
	}
	return f.Tokens, nil
}

// fileLock serialises the read-modify-write of tokens files within one
// process; across processes the rename keeps every reader on a whole file
// and lockFile keeps two writers from losing each other's change.
var fileLock sync.Mutex

// Create adds a token called name with role to the file at path and
// returns its secret, the only time it is seen. The name must be new.
func Create(path, name string, role Role, automation bool, by string, now time.Time) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	secret, err := newSecret()
	if err != nil {
		return "", err
	}
	err = modify(path, func(ts []Token) ([]Token, error) {
		if slices.ContainsFunc(ts, func(t Token) bool { return t.Name == name }) {
			return nil, fmt.Errorf("a token called %q exists: revoke it first (fleetq token revoke %s)", name, name)
		}
		return append(ts, Token{Name: name, Role: role.String(), Automation: automation, Hash: Hash(secret),
			Created: now.UTC().Truncate(time.Second), CreatedBy: by}), nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Revoke removes the token called name from the file at path.
func Revoke(path, name string) error {
	return modify(path, func(ts []Token) ([]Token, error) {
		i := slices.IndexFunc(ts, func(t Token) bool { return t.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("no token called %q in %s", name, path)
		}
		return slices.Delete(ts, i, i+1), nil
	})
}

// modify rewrites the file at path with what fn makes of its tokens: a
// new file beside it, synced, renamed over it (mode 0600, the old file's
// owner and group), so a reader or a crash sees the old file or the new
// one, never half of one.
func modify(path string, fn func([]Token) ([]Token, error)) error {
	fileLock.Lock()
	defer fileLock.Unlock()
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	ts, err := Read(path)
	if err != nil {
		return err
	}
	ts, err = fn(ts)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(tokensFile{Version: fileVersion, Tokens: ts}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'))
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; removes a failed one
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := keepOwner(tmp, path); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Store answers which principal a secret is, from a tokens file it
// rereads when the file changes: a revoked token stops working at the
// next request, with no restart.
type Store struct {
	path string

	mu      sync.Mutex
	stamp   fileStamp
	byHash  map[string]Token
	loadErr error
	// warn hears a failed reread, once per version of the file.
	warn   func(error)
	warned fileStamp
}

// OnRereadError calls fn when a changed tokens file does not read (not
// JSON, a bad token, unreadable), once per change: the last good tokens
// stay in force meanwhile, and whoever runs the server must know why a
// revocation has not taken.
func (s *Store) OnRereadError(fn func(error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warn = fn
}

type fileStamp struct {
	size  int64
	mtime time.Time
	ino   uint64
	ok    bool
}

// NewStore reads the tokens file at path (it must parse).
func NewStore(path string) (*Store, error) {
	s := &Store{path: path}
	if err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the tokens file.
func (s *Store) Path() string { return s.path }

// Len is how many tokens the file holds.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byHash)
}

// Lookup is the principal whose secret this is. A file that became
// unreadable keeps the last good tokens and says why once per change.
func (s *Store) Lookup(secret string) (Principal, error) {
	if !strings.HasPrefix(secret, secretPrefix) {
		return Principal{}, ErrNoToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := stampOf(s.path); st != s.stamp {
		// A bad rewrite keeps the last good file.
		if err := s.reloadLocked(st); err != nil && st != s.warned {
			s.warned = st
			if s.warn != nil {
				s.warn(err)
			}
		}
	}
	t, ok := s.byHash[Hash(secret)]
	if !ok {
		return Principal{}, ErrNoToken
	}
	return t.Principal(), nil
}

func (s *Store) reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloadLocked(stampOf(s.path))
}

func (s *Store) reloadLocked(st fileStamp) error {
	ts, err := Read(s.path)
	if err != nil {
		s.loadErr = err
		return err
	}
	m := make(map[string]Token, len(ts))
	for _, t := range ts {
		m[t.Hash] = t
	}
	s.byHash, s.stamp, s.loadErr = m, st, nil
	return nil
}

// Err is why the last reread of the file failed (nil when it did not).
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}
