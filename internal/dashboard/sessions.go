package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// sessions maps a session id (the cookie's value) to the token it was
// opened with. Only the id's hash is kept as the key, so a memory dump's
// keys open nothing; the sessions end when the server restarts.
type sessions struct {
	mu   sync.Mutex
	ttl  time.Duration
	byID map[[32]byte]session
	now  func() time.Time
}

type session struct {
	secret  string
	expires time.Time
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, byID: map[[32]byte]session{}, now: time.Now}
}

// open starts a session for secret and returns its id.
func (s *sessions) open(secret string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.byID { // drop the expired: the table stays as small as the live sessions
		if now.After(v.expires) {
			delete(s.byID, k)
		}
	}
	s.byID[sha256.Sum256([]byte(id))] = session{secret: secret, expires: now.Add(s.ttl)}
	return id, nil
}

// secret is the token of session id, or "" when there is no such live
// session.
func (s *sessions) secret(id string) string {
	if id == "" {
		return ""
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.byID[k]
	if !ok {
		return ""
	}
	if s.now().After(v.expires) {
		delete(s.byID, k)
		return ""
	}
	return v.secret
}

// close ends session id.
func (s *sessions) close(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, sha256.Sum256([]byte(id)))
}
