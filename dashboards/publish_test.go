package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const testToken = "glsa_test_token"

// fakeGrafana answers like Grafana's HTTP API for the calls Publish makes,
// checks each call's auth header and body, and records them.
type fakeGrafana struct {
	t           *testing.T
	mu          sync.Mutex
	calls       []string
	folders     map[string]bool
	datasources map[string]map[string]any
	dashboards  map[string]map[string]any
	failWith    int    // answer every call with this status
	failPath    string // … only calls whose "METHOD path" has this prefix
	plugin      Plugin // of the data source published
	alertRules  int    // rules of the last rule group received
}

func newFakeGrafana(t *testing.T, p Plugin) (*fakeGrafana, *httptest.Server) {
	f := &fakeGrafana{t: t, plugin: p, folders: map[string]bool{}, datasources: map[string]map[string]any{}, dashboards: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := r.Method + " " + r.URL.Path
	f.calls = append(f.calls, call)
	w.Header().Set("Content-Type", "application/json")
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		f.t.Errorf("%s: Authorization %q", call, got)
	}
	if f.failWith != 0 && strings.HasPrefix(call, f.failPath) {
		reply(w, f.failWith, map[string]any{"message": http.StatusText(f.failWith)})
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			f.t.Errorf("%s: Content-Type %q", call, ct)
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			f.t.Errorf("%s: body %s: %v", call, b, err)
		}
	}
	f.route(w, call, body)
}

func (f *fakeGrafana) route(w http.ResponseWriter, call string, body map[string]any) {
	switch {
	case call == "GET /api/folders/"+FolderUID:
		if !f.folders[FolderUID] {
			reply(w, 404, map[string]any{"message": "folder not found"})
			return
		}
		reply(w, 200, map[string]any{"uid": FolderUID, "title": FolderTitle})
	case call == "POST /api/folders":
		if body["uid"] != FolderUID || body["title"] != FolderTitle {
			f.t.Errorf("%s: body %v", call, body)
		}
		f.folders[FolderUID] = true
		reply(w, 200, map[string]any{"uid": FolderUID, "title": FolderTitle})
	case strings.HasPrefix(call, "GET /api/datasources/uid/"):
		uid := strings.TrimPrefix(call, "GET /api/datasources/uid/")
		if f.datasources[uid] == nil {
			reply(w, 404, map[string]any{"message": "Data source not found"})
			return
		}
		reply(w, 200, f.datasources[uid])
	case call == "POST /api/datasources":
		f.checkDatasource(call, body)
		f.datasources[body["uid"].(string)] = body
		reply(w, 200, map[string]any{"id": 1, "message": "Datasource added", "name": body["name"]})
	case strings.HasPrefix(call, "PUT /api/datasources/uid/"):
		f.checkDatasource(call, body)
		f.datasources[strings.TrimPrefix(call, "PUT /api/datasources/uid/")] = body
		reply(w, 200, map[string]any{"id": 1, "message": "Datasource updated", "name": body["name"]})
	case call == "PUT /api/v1/provisioning/folder/"+FolderUID+"/rule-groups/"+AlertGroup:
		f.checkAlertRules(call, body)
		f.alertRules = len(body["rules"].([]any))
		reply(w, 200, body)
	case call == "POST /api/dashboards/db":
		f.checkDashboard(call, body)
		uid := body["dashboard"].(map[string]any)["uid"].(string)
		f.dashboards[uid] = body
		reply(w, 200, map[string]any{"uid": uid, "status": "success", "version": 1})
	default:
		f.t.Errorf("unexpected call %s", call)
		reply(w, 404, map[string]any{"message": "not found"})
	}
}

// checkDatasource compares a data source body with the settings of the
// plugin under test, field by field as Grafana stores them.
func (f *fakeGrafana) checkDatasource(call string, body map[string]any) {
	want := map[string]any{"uid": DefaultDatasourceUID, "type": string(f.plugin), "access": "proxy", "name": "BurdenWatch ClickHouse"}
	wantJSON := map[string]any{"defaultDatabase": "burdenwatch"}
	var wantSecure map[string]any
	if f.plugin == Altinity {
		want["url"], want["basicAuth"], want["basicAuthUser"] = "http://127.0.0.1:18123/?database=burdenwatch", true, "grafana"
		wantJSON["usePOST"] = true
		wantSecure = map[string]any{"basicAuthPassword": "grafana"}
	} else {
		wantJSON["host"], wantJSON["port"], wantJSON["protocol"], wantJSON["username"], wantJSON["secure"] =
			"127.0.0.1", float64(19000), "native", "grafana", false
		wantSecure = map[string]any{"password": "grafana"}
	}
	for k, v := range want {
		if body[k] != v {
			f.t.Errorf("%s: %s = %v, want %v", call, k, body[k], v)
		}
	}
	if got, _ := body["jsonData"].(map[string]any); !reflect.DeepEqual(got, wantJSON) {
		f.t.Errorf("%s: jsonData %v, want %v", call, got, wantJSON)
	}
	if got, _ := body["secureJsonData"].(map[string]any); !reflect.DeepEqual(got, wantSecure) {
		f.t.Errorf("%s: secureJsonData %v, want %v", call, got, wantSecure)
	}
}

// checkAlertRules: the rule group as Grafana's provisioning API takes it,
// each rule querying the data source of the plugin under test.
func (f *fakeGrafana) checkAlertRules(call string, body map[string]any) {
	rules, _ := body["rules"].([]any)
	if body["folderUid"] != FolderUID || body["title"] != AlertGroup || body["interval"] != float64(300) || len(rules) != len(breachFamilies()) {
		f.t.Errorf("%s: folderUid %v title %v interval %v, %d rules", call, body["folderUid"], body["title"], body["interval"], len(rules))
		return
	}
	for _, r := range rules {
		rule := r.(map[string]any)
		data, _ := rule["data"].([]any)
		if rule["uid"] == nil || rule["ruleGroup"] != AlertGroup || rule["folderUID"] != FolderUID || rule["condition"] != "B" ||
			rule["for"] != "0s" || rule["noDataState"] != "OK" || len(data) != 2 {
			f.t.Errorf("%s: rule %v", call, rule)
			continue
		}
		a := data[0].(map[string]any)
		ds, _ := a["model"].(map[string]any)["datasource"].(map[string]any)
		if a["datasourceUid"] != DefaultDatasourceUID || ds["type"] != string(f.plugin) ||
			a["relativeTimeRange"].(map[string]any)["from"] != float64(86400) {
			f.t.Errorf("%s: rule %v query A %v", call, rule["uid"], a)
		}
	}
}

func (f *fakeGrafana) checkDashboard(call string, body map[string]any) {
	d, _ := body["dashboard"].(map[string]any)
	if body["overwrite"] != true || body["folderUid"] != FolderUID || d["uid"] == nil || d["title"] == nil {
		f.t.Errorf("%s: overwrite %v folderUid %v uid %v", call, body["overwrite"], body["folderUid"], d["uid"])
	}
}

func reply(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func publishFixture(t *testing.T, p Plugin) (DataSource, []Dashboard) {
	t.Helper()
	ds, err := DataSourceFromDSN(p, "clickhouse://default:@127.0.0.1:19000/burdenwatch")
	if err != nil {
		t.Fatal(err)
	}
	return ds, buildAll(t, p)
}

// TestPublishCreatesThenUpdates publishes with each data source plugin.
func TestPublishCreatesThenUpdates(t *testing.T) {
	for _, p := range Plugins() {
		t.Run(p.Short(), func(t *testing.T) { publishCreatesThenUpdates(t, p) })
	}
}

func publishCreatesThenUpdates(t *testing.T, p Plugin) {
	f, srv := newFakeGrafana(t, p)
	ds, boards := publishFixture(t, p)
	g := Grafana{URL: srv.URL, Token: testToken}
	res, err := Publish(context.Background(), g, ds, boards)
	if err != nil {
		t.Fatal(err)
	}
	if !res.FolderCreated || !res.DatasourceCreated || len(res.Dashboards) != 4 || res.AlertRules != 4 || f.alertRules != 4 {
		t.Errorf("first publish: %+v", res)
	}
	want := []string{
		"GET /api/folders/burdenwatch", "POST /api/folders",
		"GET /api/datasources/uid/burdenwatch-clickhouse", "POST /api/datasources",
		"PUT /api/v1/provisioning/folder/burdenwatch/rule-groups/" + AlertGroup,
		"POST /api/dashboards/db", "POST /api/dashboards/db", "POST /api/dashboards/db", "POST /api/dashboards/db",
	}
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
	f.calls = nil
	res, err = Publish(context.Background(), g, ds, boards)
	if err != nil {
		t.Fatal(err)
	}
	if res.FolderCreated || res.DatasourceCreated {
		t.Errorf("second publish created again: %+v", res)
	}
	want = []string{
		"GET /api/folders/burdenwatch",
		"GET /api/datasources/uid/burdenwatch-clickhouse", "PUT /api/datasources/uid/burdenwatch-clickhouse",
		"PUT /api/v1/provisioning/folder/burdenwatch/rule-groups/" + AlertGroup,
		"POST /api/dashboards/db", "POST /api/dashboards/db", "POST /api/dashboards/db", "POST /api/dashboards/db",
	}
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
	if len(f.dashboards) != 4 {
		t.Errorf("%d dashboards stored, want 4", len(f.dashboards))
	}
}

func TestPublishErrors(t *testing.T) {
	for _, tc := range []struct {
		status   int
		failPath string
		phrase   string
		echoed   bool // Grafana's message is part of the error (the alerting API's 403 is not parsed by the client)
	}{
		{401, "", "HTTP 401", true},
		{403, "GET /api/datasources", "HTTP 403", true},
		{412, "POST /api/dashboards", "HTTP 412", true},
		{403, "PUT /api/v1/provisioning", "发布告警规则组 " + AlertGroup + "：令牌权限不足（HTTP 403", false},
		{400, "PUT /api/v1/provisioning", "HTTP 400", true},
	} {
		f, srv := newFakeGrafana(t, Altinity)
		f.failWith, f.failPath = tc.status, tc.failPath
		ds, boards := publishFixture(t, Altinity)
		_, err := Publish(context.Background(), Grafana{URL: srv.URL, Token: testToken}, ds, boards)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != tc.status {
			t.Errorf("status %d: error %v", tc.status, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.phrase) || (tc.echoed && !strings.Contains(msg, http.StatusText(tc.status))) {
			t.Errorf("status %d: message %q", tc.status, msg)
		}
		t.Logf("%d: %v", tc.status, err)
	}
}

func TestPublishUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	ds, boards := publishFixture(t, Official)
	_, err := Publish(context.Background(), Grafana{URL: url, Token: testToken}, ds, boards)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 0 || !strings.Contains(err.Error(), "无法连接 Grafana") {
		t.Fatalf("error %v", err)
	}
	t.Log(err)
}

// TestPublishNeedsToken: without a token Publish says which token is
// missing and sends nothing to Grafana.
func TestPublishNeedsToken(t *testing.T) {
	f, srv := newFakeGrafana(t, Official)
	ds, boards := publishFixture(t, Official)
	_, err := Publish(context.Background(), Grafana{URL: srv.URL}, ds, boards)
	if err == nil || !strings.Contains(err.Error(), "--grafana-token") || !strings.Contains(err.Error(), "令牌") {
		t.Fatalf("error %v, want one naming the missing --grafana-token", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 0 {
		t.Errorf("Grafana received %v without a token", f.calls)
	}
}
