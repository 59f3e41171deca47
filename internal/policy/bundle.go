package policy

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// bundleMagic opens the text of a policy directory as decisions store
// it. A bare word is not TOML, so no single policy file starts with it.
const bundleMagic = "fleetq-policy-dir/1\n"

// bundle is the stored text of a policy directory: the magic line, then
// per file "file NAME LENGTH\n", its bytes and "\n", in load order. Its
// sha256 is the policy hash: it changes with any file's name, content
// or order.
func bundle(files []srcFile) []byte {
	var b bytes.Buffer
	b.WriteString(bundleMagic)
	for _, f := range files {
		fmt.Fprintf(&b, "file %s %d\n", f.Name, len(f.Text))
		b.Write(f.Text)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// isBundle reports whether a stored policy text is a directory's bundle.
func isBundle(text []byte) bool { return bytes.HasPrefix(text, []byte(bundleMagic)) }

// unbundle splits a bundle back into its files, validating every header
// and length: a damaged bundle is an error, never a wrong policy.
func unbundle(text []byte) ([]srcFile, error) {
	rest := text[len(bundleMagic):]
	var out []srcFile
	for len(rest) > 0 {
		f, tail, err := nextBundled(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: policy directory bundle, file %d: %v", ErrInvalid, len(out)+1, err)
		}
		out, rest = append(out, f), tail
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: policy directory bundle holds no file", ErrInvalid)
	}
	return out, nil
}

func nextBundled(b []byte) (srcFile, []byte, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return srcFile{}, nil, fmt.Errorf("header without end of line")
	}
	fields := strings.Fields(string(b[:nl]))
	if len(fields) != 3 || fields[0] != "file" {
		return srcFile{}, nil, fmt.Errorf("bad header %.40q", b[:nl])
	}
	n, err := strconv.Atoi(fields[2])
	body := b[nl+1:]
	if err != nil || n < 0 || n >= len(body) || body[n] != '\n' {
		return srcFile{}, nil, fmt.Errorf("length %q does not fit the %d bytes left", fields[2], len(body))
	}
	if !validBundledName(fields[1]) {
		return srcFile{}, nil, fmt.Errorf("bad file name %q", fields[1])
	}
	return srcFile{Name: fields[1], Text: body[:n], InDir: true}, body[n+1:], nil
}

// validBundledName accepts NAME.toml and ROLE/NAME.toml, as LoadDir
// lists them.
func validBundledName(name string) bool {
	if !strings.HasSuffix(name, ".toml") || path.Clean(name) != name || strings.ContainsAny(name, " \t\r\n\\") {
		return false
	}
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.HasPrefix(p, ".") {
			return false
		}
	}
	return len(parts) <= 2
}
