package collect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// maxPages bounds the pages of a paginated API a source follows: a
// NetBox of a million devices at 1000 a page is a thousand.
const maxPages = 10000

// fetch GETs s.URL and returns the body, at most max bytes; a netbox
// source follows the API's next links and returns every page's results
// as one list.
func fetch(ctx context.Context, s *Source, max int64) ([]byte, error) {
	client, err := httpClient(ctx, s)
	if err != nil {
		return nil, err
	}
	auth, err := authorization(ctx, s)
	if err != nil {
		return nil, err
	}
	get := func(u string, max int64) ([]byte, error) { return getBody(ctx, client, s, auth, u, max) }
	if s.Kind == "netbox" {
		return fetchPages(s, get, max)
	}
	return get(s.URL, max)
}

// httpClient is a client whose TLS verification is on unless the source
// turns it off, trusting the source's CA file when it names one.
func httpClient(ctx context.Context, s *Source) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: s.SkipVerify} //nolint:gosec // only when the file says tls_skip_verify
	if s.CAFile != "" {
		pem, err := readSmallFile(ctx, s.CAFile, maxCABytes)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, errTooBig):
			return nil, fmt.Errorf("ca_file %s is more than %d bytes: expected PEM certificates", s.CAFile, maxCABytes)
		case err != nil:
			return nil, fmt.Errorf("ca_file %s: %w", s.CAFile, unwrapPath(err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", s.CAFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, CheckRedirect: sameOrigin}, nil
}

// maxRedirects is how many redirects a request follows, as Go's default.
const maxRedirects = 10

// sameOrigin follows a redirect only on the source's own scheme and
// host:port. Go's client keeps Authorization on a redirect to the same
// host name on another port or scheme, and other headers everywhere, so
// a redirect elsewhere would hand the token to another service.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return fmt.Errorf("redirected to %s, not on %s://%s: not followed (the token and headers go to the source's own host only; put the URL it redirects to in the sources file)", redact(req.URL.String()), first.Scheme, first.Host)
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

// authorization is the Authorization header of the source's token, ""
// when it has none. The token is read at every collect, so a rotated
// token file needs no restart.
func authorization(ctx context.Context, s *Source) (string, error) {
	var token string
	switch {
	case s.TokenFile != "":
		b, err := readSmallFile(ctx, s.TokenFile, maxTokenBytes)
		switch {
		case ctx.Err() != nil:
			return "", ctx.Err()
		case errors.Is(err, errTooBig):
			return "", fmt.Errorf("token_file %s is more than %d bytes: expected a token on one line", s.TokenFile, maxTokenBytes)
		case err != nil:
			return "", fmt.Errorf("token_file %s: %w", s.TokenFile, unwrapPath(err))
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", fmt.Errorf("token_file %s is empty", s.TokenFile)
		}
	case s.TokenEnv != "":
		token = strings.TrimSpace(os.Getenv(s.TokenEnv))
		if token == "" {
			return "", fmt.Errorf("token_env %s is not set", s.TokenEnv)
		}
	default:
		return "", nil
	}
	if strings.ContainsAny(token, "\r\n") {
		return "", errors.New("the token has a line break in it")
	}
	return s.TokenScheme + " " + token, nil
}

// The bounds of the files a URL source reads besides its answer.
const (
	maxTokenBytes = 64 << 10
	maxCABytes    = 16 << 20
)

var errTooBig = errors.New("over its bound")

// readSmallFile reads at most max bytes of path, giving up when ctx
// ends: a FIFO nobody writes or a hung mount fails the source at its
// timeout (the read itself is abandoned: it finishes or dies with the
// process), and /dev/zero is refused at the bound.
func readSmallFile(ctx context.Context, path string, max int64) ([]byte, error) {
	type done struct {
		data []byte
		err  error
	}
	ch := make(chan done, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			ch <- done{nil, err}
			return
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, max+1))
		if err == nil && int64(len(data)) > max {
			err = errTooBig
		}
		ch <- done{data, err}
	}()
	select {
	case d := <-ch:
		return d.data, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// getBody GETs u with the source's headers and returns the body of a 2xx
// answer; any other status is an error with the start of the body.
func getBody(ctx context.Context, client *http.Client, s *Source, auth, u string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", redact(u), err)
	}
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("GET %s: %w", redact(u), unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("GET %s: HTTP %s%s", redact(u), resp.Status, bodyExcerpt(body))
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, fmt.Errorf("GET %s: reading the body: %w", redact(u), err)
	case int64(len(body)) > max:
		return nil, fmt.Errorf("GET %s: the body is more than %d bytes (--max-source-bytes)", redact(u), max)
	}
	return body, nil
}

// bodyExcerpt is the start of an error response on one line, where an
// API says what was wrong.
func bodyExcerpt(body []byte) string {
	text := oneLine(string(body))
	if text == "" {
		return ""
	}
	const keep = 200
	if len(text) > keep {
		text = text[:keep] + "…"
	}
	return ": " + text
}

// fetchPages follows a NetBox list's next links from s.URL and returns
// {"count": N, "results": [every page's results]}, which package netbox
// reads as one page holding the whole inventory. Every page must come
// from the URL's own host: the token is never sent elsewhere.
func fetchPages(s *Source, get func(string, int64) ([]byte, error), max int64) ([]byte, error) {
	first, _ := url.Parse(s.URL)
	var results []json.RawMessage
	var total int64
	next := s.URL
	seen := map[string]bool{}
	for pages := 0; next != ""; pages++ {
		if seen[next] {
			return nil, fmt.Errorf("GET %s: page %d is %s again: the API's next links go round (expected them to end with next: null)", redact(s.URL), pages+1, redact(next))
		}
		seen[next] = true
		if pages == maxPages {
			return nil, fmt.Errorf("GET %s: more than %d pages", redact(s.URL), maxPages)
		}
		if total >= max {
			return nil, fmt.Errorf("GET %s: its pages are more than %d bytes together (--max-source-bytes)", redact(s.URL), max)
		}
		body, err := get(next, max-total)
		if err != nil {
			return nil, err
		}
		total += int64(len(body))
		var page struct {
			Results *[]json.RawMessage `json:"results"`
			Next    *string            `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil || page.Results == nil {
			if pages == 0 {
				return body, nil // not a list page (one device, a plain list): the parser says what it is
			}
			return nil, fmt.Errorf("GET %s: page %d is not a NetBox list page (expected {\"results\": [...], \"next\": ...})", redact(next), pages+1)
		}
		results = append(results, *page.Results...)
		if next, err = nextPage(first, page.Next); err != nil {
			return nil, err
		}
	}
	return json.Marshal(map[string]any{"count": len(results), "next": nil, "previous": nil, "results": results})
}

// nextPage is the URL of the next page, "" after the last one.
func nextPage(first *url.URL, next *string) (string, error) {
	if next == nil || *next == "" {
		return "", nil
	}
	u, err := first.Parse(*next)
	if err != nil {
		return "", fmt.Errorf("next page %q: %w", *next, err)
	}
	if u.Host != first.Host || u.Scheme != first.Scheme {
		return "", fmt.Errorf("next page %s is not on %s://%s: not followed (the token goes to the source's own host only)", redact(u.String()), first.Scheme, first.Host)
	}
	return u.String(), nil
}

// redact is u without a password in it.
func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return u
}

// unwrapURL drops the url.Error wrapper, whose message repeats the URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
