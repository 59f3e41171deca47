package main

import (
	"bufio"
	"hash/fnv"
	"strconv"
	"time"
)

// unknownKernel is a kernel no host declares: one installed by hand, or
// pulled in by an unattended upgrade the CMDB never heard of.
const unknownKernel = "6.8.0-47-generic"

// observedKernel is the kernel node_exporter reports for a host that
// Prometheus scrapes: the declared one, except for a deterministic few
// (by a hash of the name, so the generator's random stream and every
// other file stay as they were). About 1% of the hosts on a rolled
// kernel still run the previous one (the update was installed, the
// reboot has not happened: a safe drift), and 1 in 400 hosts runs
// unknownKernel (a risky one).
func observedKernel(h *host) string {
	s := fnv.New64a()
	s.Write([]byte(h.name))
	v := s.Sum64()
	switch {
	case v%100 == 7 && h.kernel > 0:
		return kernels[h.kernel-1]
	case v%400 == 17:
		return unknownKernel
	}
	return kernels[h.kernel]
}

// writeUname writes the HTTP API response of the instant query
// `node_uname_info` at time t: one series per host whose node_exporter is
// up (a target that is down or not scraped has no fresh sample), its
// release label the kernel the host runs.
func (f *fleet) writeUname(path string, t time.Time) error {
	return writeFile(path, func(w *bufio.Writer) error {
		w.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
		ts := strconv.FormatInt(t.Unix(), 10)
		b := make([]byte, 0, 384)
		first := true
		for _, id := range f.order {
			h := &f.hosts[id]
			if v, ok := promUp(h); !ok || v != '1' {
				continue
			}
			b = b[:0]
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `{"metric":{"__name__":"node_uname_info","domainname":"(none)","instance":"`...)
			b = append(b, h.name...)
			b = append(b, `:9100","job":"node","machine":"x86_64","nodename":"`...)
			b = append(b, h.name...)
			b = append(b, `","release":"`...)
			b = append(b, observedKernel(h)...)
			b = append(b, `","sysname":"Linux","version":"#1 SMP PREEMPT_DYNAMIC"},"value":[`...)
			b = append(b, ts...)
			b = append(b, `,"1"]}`...)
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		_, err := w.WriteString("]}}")
		return err
	})
}
