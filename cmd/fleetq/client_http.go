package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/server"
)

// send makes op's request with vals, asking for the CLI envelope, and
// prints what the server's command printed; the exit status is its.
func (c *client) send(cmd *cobra.Command, op server.Op, vals map[string]any, base string) error {
	req, err := c.request(cmd, op, vals, base)
	if err != nil {
		return err
	}
	hc, err := c.httpClient()
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		if cmd.Context().Err() != nil {
			return cmd.Context().Err() // Ctrl-C: the server rolls back what it had not committed
		}
		return transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("server: reading the answer of %s: %v", req.URL.Redacted(), err)
	}
	var env struct {
		Stdout   string `json:"stdout"`
		Stderr   string `json:"stderr"`
		ExitCode *int   `json:"exit_code"`
	}
	if json.Unmarshal(body, &env) != nil || env.ExitCode == nil {
		return c.httpError(resp, body, req.Header.Get("Authorization") != "")
	}
	if err := c.misspelt(cmd, resp, *env.ExitCode); err != nil {
		return err
	}
	io.WriteString(c.a.stdout, env.Stdout) //nolint:errcheck // as a local command's output: a closed pipe ends it
	io.WriteString(c.a.stderr, env.Stderr) //nolint:errcheck
	if *env.ExitCode != exitOK {
		return &exitError{code: *env.ExitCode, err: fmt.Errorf("server: %s exited %d", op.ID, *env.ExitCode), silent: true}
	}
	return nil
}

// misspelt is the usage error `fleetq WORD` gives locally when WORD is no
// set but close to a command's name ("fleetq pases"): the server ran it
// as the query it is and found no such set (400, exit 1).
func (c *client) misspelt(cmd *cobra.Command, resp *http.Response, code int) error {
	if c.a.shorthand == "" || code != exitFailure || resp.StatusCode != http.StatusBadRequest {
		return nil
	}
	unknown := fmt.Errorf("%w", query.ErrUnknownName)
	if err := misspeltCommand(cmd.Root(), shorthand{word: c.a.shorthand}, unknown); err != unknown {
		return err
	}
	return nil
}

// request is op's HTTP request: path parameters in the path, the others
// in the query string (GET) or a JSON object body, and ?format= the
// command line's --format.
func (c *client) request(cmd *cobra.Command, op server.Op, vals map[string]any, base string) (*http.Request, error) {
	path := op.Path
	for _, p := range op.Params {
		if p.In == "path" {
			path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(fmt.Sprint(vals[p.Name])), 1)
			delete(vals, p.Name)
		}
	}
	q := url.Values{"format": {c.a.format}}
	var body io.Reader
	if op.Method == http.MethodGet {
		for name, v := range vals {
			q[name] = queryValues(v)
		}
	} else if op.Method != http.MethodDelete || len(vals) > 0 {
		b, err := json.Marshal(vals)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), op.Method, base+path+"?"+q.Encode(), body)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("--server %q: %v", base, err)}
	}
	req.Header.Set("Accept", server.CLIEnvelope)
	req.Header.Set("User-Agent", "fleetq/"+readBuildInfo().Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	token, err := c.token()
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

func queryValues(v any) []string {
	switch v := v.(type) {
	case []string:
		return v
	case bool:
		return []string{strconv.FormatBool(v)}
	}
	return []string{fmt.Sprint(v)}
}

// token is the bearer secret: --token-file, else $FLEETQ_TOKEN (the
// secret itself), else $FLEETQ_TOKEN_FILE; none sends no token (a server
// without tokens serves every caller as the anonymous viewer).
func (c *client) token() (string, error) {
	file := c.tokenFile
	if file == "" {
		if t := strings.TrimSpace(os.Getenv("FLEETQ_TOKEN")); t != "" {
			return t, nil
		}
		file = os.Getenv("FLEETQ_TOKEN_FILE")
	}
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" || strings.ContainsAny(t, "\r\n") {
		return "", fmt.Errorf("token file %s: expected one token on one line (fleetq token create prints it)", file)
	}
	return t, nil
}

// httpClient trusts the system's roots plus --server-ca, and presents
// --client-cert for mutual TLS.
func (c *client) httpClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	ca := c.serverCA
	if ca == "" {
		ca = os.Getenv("FLEETQ_SERVER_CA")
	}
	if ca != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("--server-ca: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--server-ca %s: no PEM certificates in it", ca)
		}
		cfg.RootCAs = pool
	}
	if (c.clientCert == "") != (c.clientKey == "") {
		return nil, &usageError{"--client-cert and --client-key go together"}
	}
	if c.clientCert != "" {
		cert, err := tls.LoadX509KeyPair(c.clientCert, c.clientKey)
		if err != nil {
			return nil, fmt.Errorf("--client-cert/--client-key: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, CheckRedirect: refuseRedirect}, nil
}

// refuseRedirect follows no redirect: net/http would resend the bearer
// token to any port and scheme of the same host name, and to its
// subdomains (http://, another service), and a redirected POST is sent
// again or becomes a GET. The token goes to --server only.
func refuseRedirect(req *http.Request, via []*http.Request) error {
	return fmt.Errorf("the server answered %d, a redirect to %s: fleetq follows no redirect, so the token goes to --server only (give --server the server's own URL)",
		req.Response.StatusCode, req.URL.Redacted())
}

// transportError is a request that got no answer, with what to do about
// the usual causes: a private CA, a certificate for another name, no
// server at that address.
func transportError(err error) error {
	var unknownCA x509.UnknownAuthorityError
	var wrongName x509.HostnameError
	switch {
	case errors.As(err, &unknownCA):
		return fmt.Errorf("server: %v; a server whose certificate a private CA signed needs --server-ca FILE (or $FLEETQ_SERVER_CA)", err)
	case errors.As(err, &wrongName):
		return fmt.Errorf("server: %v; give --server the name or address the certificate was issued for", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("server: %v; is fleetq serve running there? (--server, else $FLEETQ_SERVER)", err)
	}
	return fmt.Errorf("server: %v", err)
}

// httpError is an answer that is no envelope: the server refused the
// request before any command ran (401, 403, 429, a bad parameter), or
// something between did. It is "fleetq: server: MESSAGE", exit 1.
func (c *client) httpError(resp *http.Response, body []byte, sentToken bool) error {
	var e server.Error
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		text := strings.TrimSpace(firstLine(string(body)))
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		return fmt.Errorf("server: %s %s", resp.Status, text)
	}
	msg := e.Message
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		if !sentToken {
			msg += "; set $FLEETQ_TOKEN or --token-file"
		}
	case http.StatusTooManyRequests:
		if ra := resp.Header.Get("Retry-After"); ra != "" && !strings.Contains(msg, "retry after") {
			msg += "; retry after " + ra + " s"
		}
	}
	return errors.New("server: " + msg)
}
