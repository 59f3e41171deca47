package source

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidName(t *testing.T) {
	for _, ok := range []string{"role", "_x", "hdfs.state", "a-b", "A1", "x_"} {
		assert.True(t, ValidName(ok), ok)
	}
	for _, bad := range []string{"", "1a", "a b", "a-", "a.", ".a", "-a", "a:b", "é"} {
		assert.False(t, ValidName(bad), bad)
	}
}

func TestLineError(t *testing.T) {
	assert.EqualError(t, Errorf("f.csv", 3, "bad %s", "x"), "f.csv:3: bad x")
	assert.EqualError(t, Errorf("f.csv", 0, "bad"), "f.csv: bad")
	assert.EqualError(t, Errorf("f.csv", 2, "bad %s", "a\nb\x1b"), `f.csv:2: bad a\nb\x1b`, "one line")
}

// TestHead: the one sniffing rule reads SniffBytes without a byte-order
// mark, and a NUL byte in it makes the input binary.
func TestHead(t *testing.T) {
	big := append([]byte("\ufeff"), make([]byte, 2*SniffBytes)...)
	assert.Len(t, Head(big), SniffBytes)
	assert.Equal(t, []byte("host\n"), Head([]byte("\ufeffhost\n")))
	assert.True(t, IsBinary([]byte("host\n\x00")))
	late := append([]byte(strings.Repeat("a\n", SniffBytes)), 0)
	assert.False(t, IsBinary(late), "a NUL past the head is not sniffed")
}

func TestLines(t *testing.T) {
	for in, want := range map[string][]string{
		"":           nil,
		"a":          {"a"},
		"a\nb\n":     {"a", "b"},
		"a\r\nb\r\n": {"a", "b"},
		"a\rb\r":     {"a", "b"},
		"a\n\nb":     {"a", "", "b"},
		"a\r\n\r\nb": {"a", "", "b"},
	} {
		assert.Equal(t, want, Lines([]byte(in)), "%q", in)
	}
}

func TestTopKeys(t *testing.T) {
	assert.Equal(t, []string{"status", "data"}, TopKeys([]byte(`{"status": "success", "data": {"result": [`)), "a head cut inside a value")
	assert.Equal(t, []string{"a"}, TopKeys([]byte(`{"a": 1, `)))
	assert.Nil(t, TopKeys([]byte(`[{"status": 1}]`)))
	assert.Nil(t, TopKeys([]byte(`host,role`)))
}
