package dashboards

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-openapi/runtime"
	goapi "github.com/grafana/grafana-openapi-client-go/client"
	"github.com/grafana/grafana-openapi-client-go/client/dashboards"
	"github.com/grafana/grafana-openapi-client-go/client/datasources"
	"github.com/grafana/grafana-openapi-client-go/client/folders"
	"github.com/grafana/grafana-openapi-client-go/client/provisioning"
	"github.com/grafana/grafana-openapi-client-go/models"
)

// Grafana is how Publish reaches a Grafana server.
type Grafana struct {
	URL     string // e.g. http://127.0.0.1:3000 (a sub-path is kept)
	Token   string // service account token, sent as a Bearer token
	Timeout time.Duration
}

// APIError is a failed Grafana API call: the step, the HTTP status (0 when
// the server was not reached) and Grafana's message.
type APIError struct {
	Step    string
	Status  int
	Message string
	Err     error
}

// Error explains the failure in Chinese, with the HTTP status.
func (e *APIError) Error() string {
	var why string
	switch e.Status {
	case 0:
		return fmt.Sprintf("%s：无法连接 Grafana（%v），请检查 --grafana-url 和网络", e.Step, e.Err)
	case http.StatusUnauthorized:
		why = "令牌无效或已过期（HTTP 401 未认证），请检查 --grafana-token"
	case http.StatusForbidden:
		why = "令牌权限不足（HTTP 403 禁止访问），需要具有编辑者或管理员角色的服务账号令牌"
	case http.StatusPreconditionFailed:
		why = "版本冲突（HTTP 412 前置条件失败），Grafana 中已有同名或更新版本的对象"
	default:
		why = fmt.Sprintf("Grafana 返回 HTTP %d", e.Status)
	}
	if e.Message != "" {
		why += "：" + e.Message
	}
	return e.Step + "：" + why
}

// Unwrap returns the underlying client error.
func (e *APIError) Unwrap() error { return e.Err }

// Published says what Publish did.
type Published struct {
	FolderCreated     bool
	DatasourceCreated bool // false: updated
	AlertRules        int  // rules of the group AlertGroup, created or replaced
	Dashboards        []string
}

// Publish creates or updates, through Grafana's HTTP API, the folder
// FolderTitle, the data source ds (by uid), the alert rule group
// AlertGroup (replaced as a whole, as AlertRulesYAML writes it) and the
// dashboards (overwrite). Running it again changes nothing but versions.
func Publish(ctx context.Context, g Grafana, ds DataSource, boards []Dashboard) (Published, error) {
	var out Published
	api, err := newClient(g)
	if err != nil {
		return out, err
	}
	opt := func(op *runtime.ClientOperation) { op.Context = ctx }
	if out.FolderCreated, err = ensureFolder(api, opt); err != nil {
		return out, err
	}
	if out.DatasourceCreated, err = ensureDatasource(api, ds, opt); err != nil {
		return out, err
	}
	if out.AlertRules, err = putAlertRules(api, ds, opt); err != nil {
		return out, err
	}
	for _, d := range boards {
		if err := postDashboard(api, d, opt); err != nil {
			return out, err
		}
		out.Dashboards = append(out.Dashboards, d.UID)
	}
	return out, nil
}

func newClient(g Grafana) (*goapi.GrafanaHTTPAPI, error) {
	u, err := url.Parse(strings.TrimRight(g.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("Grafana 地址 %q 无效，应形如 http://主机:3000", g.URL)
	}
	if g.Token == "" {
		return nil, errors.New("缺少 Grafana 令牌（--grafana-token 或 BURDENWATCH_GRAFANA_TOKEN）")
	}
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	cfg := &goapi.TransportConfig{
		Host:     u.Host,
		BasePath: u.Path + "/api",
		Schemes:  []string{u.Scheme},
		APIKey:   g.Token,
		Client:   &http.Client{Timeout: timeout},
	}
	return goapi.NewHTTPClientWithConfig(nil, cfg), nil
}

type option = func(*runtime.ClientOperation)

// ensureFolder creates the folder unless it exists; it reports creation.
func ensureFolder(api *goapi.GrafanaHTTPAPI, opt option) (bool, error) {
	_, err := api.Folders.GetFolderByUID(FolderUID, folders.ClientOption(opt))
	if err == nil {
		return false, nil
	}
	if statusOf(err) != http.StatusNotFound {
		return false, apiError("查询文件夹 "+FolderUID, err)
	}
	_, err = api.Folders.CreateFolder(&models.CreateFolderCommand{UID: FolderUID, Title: FolderTitle}, folders.ClientOption(opt))
	if err != nil {
		return false, apiError("创建文件夹 "+FolderTitle, err)
	}
	return true, nil
}

// ensureDatasource updates the data source by uid, or creates it.
func ensureDatasource(api *goapi.GrafanaHTTPAPI, ds DataSource, opt option) (bool, error) {
	s := ds.settings()
	_, err := api.Datasources.GetDataSourceByUID(ds.UID, datasources.ClientOption(opt))
	switch {
	case err == nil:
		_, err = api.Datasources.UpdateDataSourceByUID(ds.UID, updateCommand(s), datasources.ClientOption(opt))
		if err != nil {
			return false, apiError("更新数据源 "+ds.UID, err)
		}
		return false, nil
	case statusOf(err) == http.StatusNotFound:
		_, err = api.Datasources.AddDataSource(addCommand(s), datasources.ClientOption(opt))
		if err != nil {
			return false, apiError("创建数据源 "+ds.UID, err)
		}
		return true, nil
	}
	return false, apiError("查询数据源 "+ds.UID, err)
}

func addCommand(s settings) *models.AddDataSourceCommand {
	return &models.AddDataSourceCommand{
		Name: str(s.top["name"]), Type: str(s.top["type"]), UID: str(s.top["uid"]),
		Access: models.DsAccess(str(s.top["access"])), URL: str(s.top["url"]),
		BasicAuth: s.top["basicAuth"] == true, BasicAuthUser: str(s.top["basicAuthUser"]),
		JSONData: s.json, SecureJSONData: s.secure,
	}
}

func updateCommand(s settings) *models.UpdateDataSourceCommand {
	a := addCommand(s)
	return &models.UpdateDataSourceCommand{
		Name: a.Name, Type: a.Type, UID: a.UID, Access: a.Access, URL: a.URL,
		BasicAuth: a.BasicAuth, BasicAuthUser: a.BasicAuthUser, JSONData: a.JSONData, SecureJSONData: a.SecureJSONData,
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// putAlertRules replaces the rule group AlertGroup in the folder: rules
// are created, updated or removed to match.
func putAlertRules(api *goapi.GrafanaHTTPAPI, ds DataSource, opt option) (int, error) {
	group, err := alertGroupFor(ds.Plugin, ds.UID)
	if err != nil {
		return 0, err
	}
	params := provisioning.NewPutAlertRuleGroupParams().WithFolderUID(FolderUID).WithGroup(AlertGroup).WithBody(group.apiGroup())
	if _, err := api.Provisioning.PutAlertRuleGroup(params, provisioning.ClientOption(opt)); err != nil {
		return 0, apiError("发布告警规则组 "+AlertGroup, err)
	}
	return len(group.Rules), nil
}

// postDashboard saves one dashboard into the folder, overwriting.
func postDashboard(api *goapi.GrafanaHTTPAPI, d Dashboard, opt option) error {
	cmd := &models.SaveDashboardCommand{
		Dashboard: d.Model,
		FolderUID: FolderUID,
		Overwrite: true,
		Message:   "burdenwatch dashboards publish",
	}
	if _, err := api.Dashboards.PostDashboard(cmd, dashboards.ClientOption(opt)); err != nil {
		return apiError("发布仪表盘 "+d.Title, err)
	}
	return nil
}

// statusOf is the HTTP status of a client error, 0 when there is none.
func statusOf(err error) int {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code()
	}
	var apiErr *runtime.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return 0
}

func apiError(step string, err error) error {
	e := &APIError{Step: step, Status: statusOf(err), Err: err}
	var withPayload interface {
		GetPayload() *models.ErrorResponseBody
	}
	if errors.As(err, &withPayload) {
		if p := withPayload.GetPayload(); p != nil && p.Message != nil {
			e.Message = *p.Message
		}
	}
	var invalid interface {
		GetPayload() *models.ValidationError
	}
	if errors.As(err, &invalid) {
		if p := invalid.GetPayload(); p != nil {
			e.Message = p.Message
		}
	}
	return e
}
