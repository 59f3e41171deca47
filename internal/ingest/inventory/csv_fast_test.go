package inventory

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

var csvFastSeeds = []string{
	"host,role,n,b\na,x,1,true\nB ,y,,false\n",
	"host,role\n\n# c\na,x\r\nb,\n",
	"host,role\na,x\nb\n",
	"role,host\nx,\n",
	"host,born\na,\nb,\n",
	"host,n\na,1\na,2\nb,NaN\n",
	"host,host\na,b\n",
	"host\n",
	"",
	"host,x y\na,1\n",
	"host,ip\na,10.0.0.1\nb,10.0.0.2\nA,10.0.0.3\n",
}

// The fast path must agree with encoding/csv on every quote-free input:
// same hosts, values and records, or the same error.
func TestCSVFastMatchesQuoted(t *testing.T) {
	for _, s := range csvFastSeeds {
		requireSameCSV(t, []byte(s))
	}
}

func FuzzCSVFastMatchesQuoted(f *testing.F) {
	for _, s := range csvFastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.IndexByte(data, '"') >= 0 {
			return
		}
		requireSameCSV(t, data)
	})
}

func requireSameCSV(t *testing.T, data []byte) {
	t.Helper()
	fast, ferr := parseCSVFast("f", data)
	slow, serr := parseCSVQuoted("f", data)
	if serr != nil || ferr != nil {
		require.Error(t, ferr, "fast path accepted what encoding/csv rejects: %v", serr)
		require.Error(t, serr, "fast path rejected what encoding/csv accepts: %v", ferr)
		require.Equal(t, serr.Error(), ferr.Error())
		return
	}
	require.Equal(t, sourcetest.Dump(slow), sourcetest.Dump(fast))
	require.Equal(t, slow.Records, fast.Records)
}
