package clickhouse

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// DSN defaults: ClickHouse's own native port and database.
const (
	DefaultPort     = 9000
	DefaultDatabase = "default"
	DefaultUser     = "default"
	dsnScheme       = "clickhouse://"
)

// DSN is a parsed data source name
// clickhouse://user:password@host:port[,host:port…]/database[?options].
// The one parser of DSNs in BurdenWatch: Open and the Grafana data source
// both use it.
type DSN struct {
	User     string // DefaultUser when the DSN names none
	Password string
	Hosts    []string   // host:port, port DefaultPort when the DSN gives none
	Database string     // DefaultDatabase when the DSN names none
	Params   url.Values // options after ?, passed to clickhouse-go
}

// ParseDSN parses s. The user and password are the text between "://" and
// the last "@", split at the first ":", and must be percent-encoded (%40
// for @, %25 for %); the password may hold any character then, including
// "/", "#" and "?". Errors never show the password.
func ParseDSN(s string) (DSN, error) {
	rest, ok := strings.CutPrefix(s, dsnScheme)
	if !ok {
		return DSN{}, errors.New("clickhouse: DSN must look like clickhouse://user:password@host:port/database")
	}
	d := DSN{User: DefaultUser, Database: DefaultDatabase}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if err := d.setUserinfo(rest[:at]); err != nil {
			return DSN{}, fmt.Errorf("clickhouse: DSN %s: %w", Redact(s), err)
		}
		rest = rest[at+1:]
	}
	rest, query, _ := strings.Cut(rest, "?")
	hosts, db, _ := strings.Cut(rest, "/")
	if db = strings.Trim(db, "/"); db != "" {
		d.Database = db
	}
	var err error
	if d.Hosts, err = parseHosts(hosts); err != nil {
		return DSN{}, fmt.Errorf("clickhouse: DSN %s: %w", Redact(s), err)
	}
	if d.Params, err = url.ParseQuery(query); err != nil {
		return DSN{}, fmt.Errorf("clickhouse: DSN %s: options after ?: %w", Redact(s), err)
	}
	return d, nil
}

func (d *DSN) setUserinfo(info string) error {
	user, pass, _ := strings.Cut(info, ":")
	var err error
	if user, err = url.PathUnescape(user); err != nil {
		return errors.New("the user name is not percent-encoded")
	}
	if pass, err = url.PathUnescape(pass); err != nil {
		return errors.New("the password is not percent-encoded (write % as %25), or give it with --clickhouse-password-file")
	}
	if user != "" {
		d.User = user
	}
	d.Password = pass
	return nil
}

func parseHosts(s string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = strings.Trim(h, "[]"), strconv.Itoa(DefaultPort)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q: want a number 1–65535", port)
		}
		if host == "" || strings.ContainsAny(host, "/@?# ") {
			return nil, fmt.Errorf("host %q is not a host name or address", host)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	if len(out) == 0 {
		return nil, errors.New("no host: want clickhouse://user:password@host:port/database")
	}
	return out, nil
}

// Host is the first host's name or address.
func (d DSN) Host() string { h, _, _ := net.SplitHostPort(d.Hosts[0]); return h }

// Port is the first host's native port.
func (d DSN) Port() int { _, p, _ := net.SplitHostPort(d.Hosts[0]); n, _ := strconv.Atoi(p); return n }

// HTTPPort is the HTTP port of the first host: the DSN's http_port option,
// else the one that usually goes with the native port (9000→8123,
// 19000→18123, 9440→8443), else the native port.
func (d DSN) HTTPPort() int {
	if n, err := strconv.Atoi(d.Params.Get("http_port")); err == nil {
		return n
	}
	switch p := d.Port(); p {
	case 9000:
		return 8123
	case 19000:
		return 18123
	case 9440:
		return 8443
	default:
		return p
	}
}

// String is the DSN with the password, percent-encoded, for a driver.
func (d DSN) String() string {
	u := url.URL{Scheme: "clickhouse", User: url.UserPassword(d.User, d.Password),
		Host: strings.Join(d.Hosts, ","), Path: "/" + d.Database, RawQuery: d.Params.Encode()}
	return u.String()
}

// Redacted is the DSN with the password hidden, for messages.
func (d DSN) Redacted() string { return Redact(d.String()) }

// redactedPassword replaces a password in messages.
const redactedPassword = "xxxxx"

// Redact hides the credentials of a DSN for messages, whatever it looks
// like: everything between "://" and the last "@" becomes user:xxxxx (the
// user kept only when it is plain), and values of options whose name
// contains "pass", "secret" or "token" become xxxxx. A string without
// "://" is not shown at all.
func Redact(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return "(DSN hidden: not clickhouse://…)"
	}
	scheme, rest := s[:i+3], s[i+3:]
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, _, hasPass := strings.Cut(rest[:at], ":")
		if !plain(user) {
			user = "…"
		}
		if hasPass || user == "…" {
			user += ":" + redactedPassword
		}
		rest = user + "@" + rest[at+1:]
	}
	base, query, ok := strings.Cut(rest, "?")
	if !ok {
		return scheme + base
	}
	return scheme + base + "?" + redactQuery(query)
}

func plain(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r)) {
			return false
		}
	}
	return true
}

func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		lk := strings.ToLower(k)
		if ok && (strings.Contains(lk, "pass") || strings.Contains(lk, "secret") || strings.Contains(lk, "token")) {
			parts[i] = k + "=" + redactedPassword
		}
	}
	return strings.Join(parts, "&")
}

// chOptions is the clickhouse-go configuration of the DSN: its options
// (compress, dial_timeout, secure, …) parsed by clickhouse-go, the
// credentials, hosts and database as ParseDSN read them. The http_port
// option is BurdenWatch's and not passed on.
func (d DSN) chOptions() (*ch.Options, error) {
	params := url.Values{}
	for k, v := range d.Params {
		if k != "http_port" {
			params[k] = v
		}
	}
	u := url.URL{Scheme: "clickhouse", Host: strings.Join(d.Hosts, ","), Path: "/" + d.Database, RawQuery: params.Encode()}
	opts, err := ch.ParseDSN(u.String())
	if err != nil {
		return nil, fmt.Errorf("clickhouse: DSN %s: %w", d.Redacted(), err) // u holds no credentials
	}
	opts.Auth.Username, opts.Auth.Password, opts.Auth.Database = d.User, d.Password, d.Database
	return opts, nil
}
