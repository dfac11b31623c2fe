package clickhouse

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn                            string
		user, password, database, host string
		port, httpPort                 int
	}{
		{"clickhouse://default:@127.0.0.1:19000/burdenwatch", "default", "", "burdenwatch", "127.0.0.1", 19000, 18123},
		{"clickhouse://db1", "default", "", "default", "db1", 9000, 8123},
		{"clickhouse://bw@db1/", "bw", "", "default", "db1", 9000, 8123},
		{"clickhouse://bw:s3cr%40t%25@db1:9440/x?secure=true", "bw", "s3cr@t%", "x", "db1", 9440, 8443},
		{"clickhouse://bw:pa/ss#wo?rd@db1:9001/x", "bw", "pa/ss#wo?rd", "x", "db1", 9001, 9001},
		{"clickhouse://bw:a@b@db1:9000/x?http_port=8124", "bw", "a@b", "x", "db1", 9000, 8124},
		{"clickhouse://u:p@[::1]:19000/x", "u", "p", "x", "::1", 19000, 18123},
		{"clickhouse://u:p@h1:9000,h2:9001/x", "u", "p", "x", "h1", 9000, 8123},
	} {
		d, err := ParseDSN(tc.dsn)
		if err != nil {
			t.Errorf("ParseDSN(%q): %v", tc.dsn, err)
			continue
		}
		got := []any{d.User, d.Password, d.Database, d.Host(), d.Port(), d.HTTPPort()}
		want := []any{tc.user, tc.password, tc.database, tc.host, tc.port, tc.httpPort}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseDSN(%q) = %v; want %v", tc.dsn, got, want)
		}
		back, err := ParseDSN(d.String())
		if err != nil || !reflect.DeepEqual(back, d) {
			t.Errorf("ParseDSN(%q.String() = %q) = %+v, %v; want %+v", tc.dsn, d.String(), back, err, d)
		}
	}
	d, _ := ParseDSN("clickhouse://u:p@h1:9000,h2:9001/x")
	if want := []string{"h1:9000", "h2:9001"}; !reflect.DeepEqual(d.Hosts, want) {
		t.Errorf("hosts = %q; want %q", d.Hosts, want)
	}
}

func TestParseDSNErrorsHideThePassword(t *testing.T) {
	for _, dsn := range []string{
		"clickhouse://bw:hunter2%zz@db1:9000/x", // not percent-encoded
		"clickhouse://bw:hunter2@db1:port/x",
		"clickhouse://bw:hunter2@/x",
		"clickhouse://bw:hunter2@db1:9000/x?a=%zz",
		"http://bw:hunter2@db1:9000/x",
		"bw:hunter2@db1:9000",
	} {
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Errorf("ParseDSN(%q): no error", dsn)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseDSN(%q) error shows the password: %v", dsn, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for dsn, want := range map[string]string{
		"clickhouse://default:@127.0.0.1:19000/bw":             "clickhouse://default:xxxxx@127.0.0.1:19000/bw",
		"clickhouse://bw:hunter2@db1:9000/x":                   "clickhouse://bw:xxxxx@db1:9000/x",
		"clickhouse://bw:hun%ter2@db1:9000/x":                  "clickhouse://bw:xxxxx@db1:9000/x",
		"clickhouse://bw:hun#t/er?2@db1:9000/x":                "clickhouse://bw:xxxxx@db1:9000/x",
		"clickhouse://bw:a@hunter2@db1:9000/x":                 "clickhouse://bw:xxxxx@db1:9000/x",
		"clickhouse://b%w:hunter2@db1:9000/x":                  "clickhouse://…:xxxxx@db1:9000/x",
		"clickhouse://db1:9000/x?password=hunter2&compress=1":  "clickhouse://db1:9000/x?password=xxxxx&compress=1",
		"clickhouse://bw@db1:9000/x":                           "clickhouse://bw@db1:9000/x",
		"bw:hunter2@db1":                                       "(DSN hidden: not clickhouse://…)",
		"clickhouse://bw:hunter2@db1:9000/x?cluster_secret=s2": "clickhouse://bw:xxxxx@db1:9000/x?cluster_secret=xxxxx",
	} {
		got := Redact(dsn)
		if got != want {
			t.Errorf("Redact(%q) = %q; want %q", dsn, got, want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "s2") {
			t.Errorf("Redact(%q) = %q shows the secret", dsn, got)
		}
	}
	d, _ := ParseDSN("clickhouse://bw:pa%2Fss%23word@db1:9000/x")
	if r := d.Redacted(); strings.Contains(r, "pa") || strings.Contains(r, "word") {
		t.Errorf("Redacted() = %q shows the password", r)
	}
}

func TestDriverOptions(t *testing.T) {
	d, err := ParseDSN("clickhouse://bw:pa/ss#w@db1:9001/x?http_port=8124&compress=lz4&dial_timeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := d.chOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Auth.Username != "bw" || opts.Auth.Password != "pa/ss#w" || opts.Auth.Database != "x" ||
		!reflect.DeepEqual(opts.Addr, []string{"db1:9001"}) || opts.Compression == nil || opts.DialTimeout.Seconds() != 3 {
		t.Errorf("options = auth %+v addr %q compression %v dial %v", opts.Auth, opts.Addr, opts.Compression, opts.DialTimeout)
	}
	if _, ok := opts.Settings["http_port"]; ok {
		t.Error("http_port passed to the server as a setting")
	}
}
