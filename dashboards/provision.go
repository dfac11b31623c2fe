package dashboards

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// Folder is the Grafana folder the dashboards live in.
const (
	FolderUID   = "burdenwatch"
	FolderTitle = "基层减负监测"
)

// DataSource is the ClickHouse data source the dashboards query, as Grafana
// stores it. It connects with a read-only account (deploy/README.md).
type DataSource struct {
	Plugin   Plugin
	UID      string
	Name     string
	Host     string
	Port     int // native port for the official plugin, HTTP port for Altinity
	Database string
	User     string
	Password string
}

// The read-only ClickHouse account of the local server (deploy/README.md).
const (
	DefaultDatasourceUser     = "grafana"
	DefaultDatasourcePassword = "grafana"
)

// DataSourceFromDSN derives the data source from BurdenWatch's ClickHouse
// DSN (clickhouse://user:password@host:port/database, parsed by
// clickhouse.ParseDSN): host and database come from it; the account is the
// read-only grafana/grafana, not the DSN's. The official plugin uses the
// DSN's native port; Altinity's plugin needs the HTTP port
// (clickhouse.DSN.HTTPPort: the DSN's http_port option, else the usual
// pair of the native port); for other ports set DataSource.Port.
func DataSourceFromDSN(p Plugin, dsn string) (DataSource, error) {
	d, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return DataSource{}, fmt.Errorf("data source: %w", err)
	}
	port := d.Port()
	if p == Altinity {
		port = d.HTTPPort()
	}
	return DataSource{Plugin: p, UID: DefaultDatasourceUID, Name: "BurdenWatch ClickHouse", Host: d.Host(), Port: port,
		Database: d.Database, User: DefaultDatasourceUser, Password: DefaultDatasourcePassword}, nil
}

// settings is the data source in Grafana's model: top-level fields,
// jsonData and secureJsonData.
type settings struct {
	top    map[string]any
	json   map[string]any
	secure map[string]string
}

func (ds DataSource) settings() settings {
	s := settings{top: map[string]any{"name": ds.Name, "type": string(ds.Plugin), "uid": ds.UID, "access": "proxy"}}
	if ds.Plugin == Altinity {
		// The plugin's backend (server-side queries, alerting) sends no
		// database of its own: the URL carries it. Long queries (every
		// issuer selected) exceed what a GET may carry: usePOST.
		s.top["url"] = ds.altinityURL()
		s.top["basicAuth"] = true
		s.top["basicAuthUser"] = ds.User
		s.json = map[string]any{"defaultDatabase": ds.Database, "usePOST": true}
		s.secure = map[string]string{"basicAuthPassword": ds.Password}
		return s
	}
	s.json = map[string]any{"host": ds.Host, "port": ds.Port, "protocol": "native", "secure": false,
		"username": ds.User, "defaultDatabase": ds.Database}
	s.secure = map[string]string{"password": ds.Password}
	return s
}

// altinityURL is the ClickHouse HTTP interface with the database as a
// query parameter, e.g. http://127.0.0.1:18123/?database=burdenwatch.
func (ds DataSource) altinityURL() string {
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(ds.Host, strconv.Itoa(ds.Port)), Path: "/",
		RawQuery: url.Values{"database": {ds.Database}}.Encode()}
	return u.String()
}

// Provisioning is where WriteProvisioning puts its files.
type Provisioning struct {
	Dir string // output directory
	// DashboardsPath is the dashboards directory as Grafana sees it;
	// the absolute path of Dir/dashboards when empty.
	DashboardsPath string
}

// WriteProvisioning writes Grafana provisioning files: Dir/dashboards/*.json,
// Dir/provisioning/dashboards/burdenwatch.yaml (a file provider reading
// them into the folder FolderTitle) and
// Dir/provisioning/datasources/clickhouse.yaml and
// Dir/provisioning/alerting/burdenwatch.yaml (AlertRulesYAML). It returns
// the files written.
func WriteProvisioning(pv Provisioning, ds DataSource, boards []Dashboard) ([]string, error) {
	dashDir := filepath.Join(pv.Dir, "dashboards")
	if pv.DashboardsPath == "" {
		abs, err := filepath.Abs(dashDir)
		if err != nil {
			return nil, fmt.Errorf("provisioning: %w", err)
		}
		pv.DashboardsPath = abs
	}
	var files []string
	for _, d := range boards {
		b, err := d.JSON()
		if err != nil {
			return files, err
		}
		path := filepath.Join(dashDir, d.FileName())
		if err := writeFile(path, b, 0o644); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	provider := filepath.Join(pv.Dir, "provisioning", "dashboards", "burdenwatch.yaml")
	if err := writeFile(provider, []byte(providerYAML(pv.DashboardsPath)), 0o644); err != nil {
		return files, err
	}
	source := filepath.Join(pv.Dir, "provisioning", "datasources", "clickhouse.yaml")
	if err := writeFile(source, []byte(datasourceYAML(ds)), 0o600); err != nil {
		return files, err
	}
	rules, err := AlertRulesYAML(ds.Plugin, ds.UID)
	if err != nil {
		return files, err
	}
	alerting := filepath.Join(pv.Dir, "provisioning", "alerting", "burdenwatch.yaml")
	if err := writeFile(alerting, rules, 0o644); err != nil {
		return files, err
	}
	return append(files, provider, source, alerting), nil
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("provisioning: %w", err)
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		return fmt.Errorf("provisioning: %w", err)
	}
	return nil
}

func providerYAML(path string) string {
	return "# Written by burdenwatch dashboards write; Grafana reads the dashboards below.\n" +
		"apiVersion: 1\nproviders:\n" +
		"  - name: burdenwatch\n" +
		"    orgId: 1\n" +
		"    type: file\n" +
		"    folder: " + yamlValue(FolderTitle) + "\n" +
		"    folderUid: " + yamlValue(FolderUID) + "\n" +
		"    disableDeletion: false\n" +
		"    allowUiUpdates: false\n" +
		"    updateIntervalSeconds: 60\n" +
		"    options:\n" +
		"      path: " + yamlValue(path) + "\n" +
		"      foldersFromFilesStructure: false\n"
}

func datasourceYAML(ds DataSource) string {
	s := ds.settings()
	var b strings.Builder
	b.WriteString("# Written by burdenwatch dashboards write: ClickHouse through a read-only account.\n")
	b.WriteString("apiVersion: 1\ndatasources:\n")
	for i, k := range sortedKeys(s.top) {
		prefix := "    "
		if i == 0 {
			prefix = "  - "
		}
		b.WriteString(prefix + k + ": " + yamlValue(s.top[k]) + "\n")
	}
	b.WriteString("    editable: false\n    jsonData:\n")
	for _, k := range sortedKeys(s.json) {
		b.WriteString("      " + k + ": " + yamlValue(s.json[k]) + "\n")
	}
	b.WriteString("    secureJsonData:\n")
	for _, k := range sortedKeys(s.secure) {
		b.WriteString("      " + k + ": " + yamlValue(s.secure[k]) + "\n")
	}
	return b.String()
}

// yamlValue writes a scalar; strings are double-quoted (JSON escapes are
// valid YAML).
func yamlValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	}
	return strconv.Quote(fmt.Sprint(v))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
