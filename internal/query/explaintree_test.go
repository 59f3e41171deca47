package query

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// A line's text keeps its start and end, cut at blanks and never inside a
// character; a short one is unchanged.
func TestClip(t *testing.T) {
	short := strings.Repeat("a + ", 24) + "b"
	assert.Equal(t, short, clip(short))
	long := "all" + strings.Repeat(" - é", 100) + " & last"
	got := clip(long)
	assert.LessOrEqual(t, len(got), maxLabel+len(" … "))
	assert.True(t, strings.HasPrefix(got, "all - é"), got)
	assert.True(t, strings.HasSuffix(got, " - é & last"), got)
	assert.Contains(t, got, " … ")
	assert.True(t, utf8.ValidString(got))
}

// String prints a chain as long as MaxTokens allows, parenthesising a
// right operand that is a chain; parsing it gives the same text.
func TestLongChainStringRoundTrip(t *testing.T) {
	text := "(a - b)" + strings.Repeat(" + a & (b ^ c)", MaxTokens/12)
	st, err := Parse(text)
	assert.NoError(t, err)
	assert.Equal(t, "a - b"+strings.Repeat(" + a & (b ^ c)", MaxTokens/12), st.String())
}
