package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
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
}

func newFakeGrafana(t *testing.T) (*fakeGrafana, *httptest.Server) {
	f := &fakeGrafana{t: t, folders: map[string]bool{}, datasources: map[string]map[string]any{}, dashboards: map[string]map[string]any{}}
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

func (f *fakeGrafana) checkDatasource(call string, body map[string]any) {
	if body["uid"] != DefaultDatasourceUID || body["type"] != string(Altinity) || body["access"] != "proxy" ||
		body["url"] != "http://127.0.0.1:18123" || body["basicAuthUser"] != "grafana" {
		f.t.Errorf("%s: body %v", call, body)
	}
	if sec, _ := body["secureJsonData"].(map[string]any); sec["basicAuthPassword"] != "grafana" {
		f.t.Errorf("%s: secureJsonData %v", call, body["secureJsonData"])
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

func publishFixture(t *testing.T) (DataSource, []Dashboard) {
	t.Helper()
	ds, err := DataSourceFromDSN(Altinity, "clickhouse://default:@127.0.0.1:19000/burdenwatch")
	if err != nil {
		t.Fatal(err)
	}
	return ds, buildAll(t, Altinity)
}

func TestPublishCreatesThenUpdates(t *testing.T) {
	f, srv := newFakeGrafana(t)
	ds, boards := publishFixture(t)
	g := Grafana{URL: srv.URL, Token: testToken}
	res, err := Publish(context.Background(), g, ds, boards)
	if err != nil {
		t.Fatal(err)
	}
	if !res.FolderCreated || !res.DatasourceCreated || len(res.Dashboards) != 4 {
		t.Errorf("first publish: %+v", res)
	}
	want := []string{
		"GET /api/folders/burdenwatch", "POST /api/folders",
		"GET /api/datasources/uid/burdenwatch-clickhouse", "POST /api/datasources",
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
	}{
		{401, "", "HTTP 401"},
		{403, "GET /api/datasources", "HTTP 403"},
		{412, "POST /api/dashboards", "HTTP 412"},
	} {
		f, srv := newFakeGrafana(t)
		f.failWith, f.failPath = tc.status, tc.failPath
		ds, boards := publishFixture(t)
		_, err := Publish(context.Background(), Grafana{URL: srv.URL, Token: testToken}, ds, boards)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != tc.status {
			t.Errorf("status %d: error %v", tc.status, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.phrase) || !strings.Contains(msg, http.StatusText(tc.status)) {
			t.Errorf("status %d: message %q", tc.status, msg)
		}
		t.Logf("%d: %v", tc.status, err)
	}
}

func TestPublishUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	ds, boards := publishFixture(t)
	_, err := Publish(context.Background(), Grafana{URL: url, Token: testToken}, ds, boards)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 0 || !strings.Contains(err.Error(), "无法连接 Grafana") {
		t.Fatalf("error %v", err)
	}
	t.Log(err)
}

func TestPublishNeedsToken(t *testing.T) {
	ds, boards := publishFixture(t)
	if _, err := Publish(context.Background(), Grafana{URL: "http://127.0.0.1:3000"}, ds, boards); err == nil {
		t.Fatal("no error without a token")
	}
}
