package main

import (
	"bufio"
	"strconv"
	"time"
)

// promUp says whether Prometheus scrapes the host's node_exporter, and
// with what `up` value.
func promUp(h *host) (value byte, ok bool) {
	switch h.life {
	case lifeDecommissioned:
		return 0, false
	case lifeProvisioning:
		if !h.responsive && h.salt%2 != 0 {
			return 0, false
		}
	}
	if h.responsive {
		return '1', true
	}
	return '0', true
}

// writeProm writes the HTTP API response of the instant query `up` at
// time t, compact as Prometheus sends it.
func (f *fleet) writeProm(path string, t time.Time) error {
	return writeFile(path, func(w *bufio.Writer) error {
		w.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
		ts := strconv.FormatInt(t.Unix(), 10)
		b := make([]byte, 0, 256)
		first := true
		for _, id := range f.order {
			h := &f.hosts[id]
			v, ok := promUp(h)
			if !ok {
				continue
			}
			b = b[:0]
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `{"metric":{"__name__":"up","dc":"`...)
			b = append(b, datacenters[f.clusters[h.cluster].dc].name...)
			b = append(b, `","instance":"`...)
			b = append(b, h.name...)
			b = append(b, `:9100","job":"node"},"value":[`...)
			b = append(b, ts...)
			b = append(b, ',', '"', v, '"', ']', '}')
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		_, err := w.WriteString("]}}")
		return err
	})
}
