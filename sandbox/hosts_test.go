package sandbox

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"
)

// fakeDNS answers from a table that tests change, and counts lookups.
type fakeDNS struct {
	mu      sync.Mutex
	answers map[string][]string
	lookups int
}

func (f *fakeDNS) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	ips, ok := f.answers[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, s := range ips {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

func (f *fakeDNS) set(host string, ips ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[host] = ips
}

func TestHostTable(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	dns := &fakeDNS{answers: map[string][]string{
		"api.example.com": {"192.0.2.1", "2001:db8::1"},
		"cdn.example.com": {"192.0.2.1", "198.51.100.9"}, // shares an address
	}}
	h := NewHostTable([]string{"api.example.com", "cdn.example.com", "gone.example.com"}, dns.lookup, now)
	if err := h.Refresh(ctx); err == nil {
		t.Error("a name that does not resolve was not reported")
	}
	names := func(ip string) []string { return h.Names(ctx, netip.MustParseAddr(ip)) }
	cases := []struct {
		ip   string
		want []string
	}{
		{"192.0.2.1", []string{"api.example.com", "cdn.example.com"}},
		{"::ffff:192.0.2.1", []string{"api.example.com", "cdn.example.com"}},
		{"2001:db8::1", []string{"api.example.com"}},
		{"198.51.100.9", []string{"cdn.example.com"}},
		{"203.0.113.5", nil},
	}
	for _, c := range cases {
		if got := names(c.ip); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Names(%s) = %q, want %q", c.ip, got, c.want)
		}
	}

	// A miss right after a refresh does not resolve again; a miss later
	// does, and finds a rotated address.
	n := dns.lookups
	dns.set("api.example.com", "192.0.2.77")
	if got := names("192.0.2.77"); got != nil || dns.lookups != n {
		t.Errorf("miss within the gap: %q, %d lookups", got, dns.lookups-n)
	}
	clock = clock.Add(hostMissGap)
	if got := names("192.0.2.77"); !reflect.DeepEqual(got, []string{"api.example.com"}) {
		t.Errorf("rotated address: %q", got)
	}
	// The old address stays for HostKeep (clients cache answers), then goes.
	if got := names("2001:db8::1"); !reflect.DeepEqual(got, []string{"api.example.com"}) {
		t.Errorf("old address within HostKeep: %q", got)
	}
	clock = clock.Add(HostKeep + time.Second)
	if err := h.Refresh(ctx); err == nil {
		t.Error("refresh: the failing name was not reported")
	}
	if got := h.cached(netip.MustParseAddr("2001:db8::1")); got != nil {
		t.Errorf("expired address still named: %q", got)
	}
	if got := names("192.0.2.77"); !reflect.DeepEqual(got, []string{"api.example.com"}) {
		t.Errorf("current address after refresh: %q", got)
	}

	var empty *HostTable
	if got := empty.Names(ctx, netip.MustParseAddr("192.0.2.1")); got != nil {
		t.Errorf("nil table: %q", got)
	}
}
