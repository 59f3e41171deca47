package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// inventoryHeader: the CMDB columns, then the maintenance columns (maint.go).
const inventoryHeader = "host,dc,cluster,rack,role,sku,lifecycle,replica_group,kernel,ip,serial,hadoop_exclude,puppet_ok,rack_position" + maintHeader + "\n"

// writeFile creates path and hands fn a large buffered writer.
func writeFile(path string, fn func(w *bufio.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	if err := fn(w); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return fh.Close()
}

// writeInventory writes inventory.csv, rows in byte order of host.
func (f *fleet) writeInventory(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		w.WriteString(inventoryHeader)
		b := make([]byte, 0, 256)
		for _, id := range f.order {
			b = f.appendRow(b[:0], &f.hosts[id])
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

func (f *fleet) appendRow(b []byte, h *host) []byte {
	c := &f.clusters[h.cluster]
	b = append(b, h.name...)
	b = append(b, ',')
	b = append(b, datacenters[c.dc].name...)
	b = append(b, ',')
	b = append(b, c.name...)
	b = append(b, ',')
	b = append(b, f.racks[h.rack].name...)
	b = append(b, ',')
	b = append(b, roles[kinds[c.kind].role].name...)
	b = append(b, ',')
	b = append(b, skus[h.sku].name...)
	b = append(b, ',')
	b = append(b, lifeNames[h.life]...)
	b = append(b, ",rg"...)
	b = append(b, '0'+h.rg)
	b = append(b, ',')
	b = append(b, kernels[h.kernel]...)
	b = append(b, ',')
	b = appendIP(b, f.ip(h))
	b = append(b, ',')
	b = appendSerial(b, h.serial)
	b = append(b, ',')
	b = strconv.AppendBool(b, h.exclude)
	b = append(b, ',')
	b = strconv.AppendBool(b, h.puppetOK)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(h.pos), 10)
	b = f.appendMaint(b, h)
	return append(b, '\n')
}

func appendIP(b []byte, ip uint32) []byte {
	for i := 3; i >= 0; i-- {
		b = strconv.AppendUint(b, uint64(ip>>(8*i)&0xff), 10)
		if i > 0 {
			b = append(b, '.')
		}
	}
	return b
}

// appendSerial writes a unique 7-character service-tag-like serial: an
// affine bijection of the serial index modulo 36^7, in base 36.
func appendSerial(b []byte, n uint32) []byte {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const m = 78364164096 // 36^7
	v := (uint64(n)*4093082899 + 1234567891) % m
	var s [7]byte
	for i := 6; i >= 0; i-- {
		s[i] = digits[v%36]
		v /= 36
	}
	return append(b, s[:]...)
}

// writeHostList writes the names of the hosts (in order) for which keep
// holds, one per line.
func (f *fleet) writeHostList(path string, keep func(*host) bool) error {
	return writeFile(path, func(w *bufio.Writer) error {
		for _, id := range f.order {
			h := &f.hosts[id]
			if keep(h) {
				w.WriteString(h.name)
				if err := w.WriteByte('\n'); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func isResponsive(h *host) bool { return h.responsive }

func isDeadReboot(h *host) bool { return h.life == lifeDead && h.rebootable() }

// writeLists writes the per-pass host lists: responsive and dead-reboot
// always, and lists/{all,hadoop_exclude,responsive,puppet_ok} with --lists.
func (f *fleet) writeLists(dir string, lists bool) error {
	if err := f.writeHostList(filepath.Join(dir, "responsive"), isResponsive); err != nil {
		return err
	}
	if err := f.writeHostList(filepath.Join(dir, "dead-reboot"), isDeadReboot); err != nil {
		return err
	}
	if !lists {
		return nil
	}
	ld := filepath.Join(dir, "lists")
	if err := os.MkdirAll(ld, 0o755); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		keep func(*host) bool
	}{
		{"all", func(*host) bool { return true }},
		{"hadoop_exclude", func(h *host) bool { return h.exclude }},
		{"responsive", isResponsive},
		{"puppet_ok", func(h *host) bool { return h.puppetOK }},
	} {
		if err := f.writeHostList(filepath.Join(ld, l.name), l.keep); err != nil {
			return err
		}
	}
	return nil
}
