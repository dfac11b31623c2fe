package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/metrics"
)

// Request limits: a verify or scan request is small; anything larger is
// refused before it is read.
const (
	MaxQueryBytes   = 1024     // raw query string of any request
	MaxBodyBytes    = 64 << 10 // body of POST /api/v1/scans
	MaxHeaderBytes  = 8 << 10  // request line and headers (net/http answers 431 above)
	MaxCompanions   = 100      // people registered with one scan
	maxNameRunes    = 32
	healthTimeout   = 2 * time.Second
	scanWriteBudget = 10 * time.Second
)

// ScanStore records scan registrations (clickhouse.DB implements it).
type ScanStore interface {
	InsertScan(ctx context.Context, s bw.Scan) error
}

// Config configures the HTTP service.
type Config struct {
	Index *Index
	Scans ScanStore
	// Checks are the readiness probes of /readyz by name (e.g. clickhouse,
	// kafka); each gets a short deadline.
	Checks map[string]func(context.Context) error
	// BaseURL is the public URL the QR codes point to (shown on the page).
	BaseURL string
	// Registerer receives the service's metrics; nil = no metrics.
	Registerer prometheus.Registerer
	// Gatherer is served at /metrics; nil = no /metrics route.
	Gatherer prometheus.Gatherer
	Log      *slog.Logger
	Now      func() time.Time
	Location *time.Location
}

// Server is the HTTP service of SPEC §8.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics *serviceMetrics
	page    *pageRenderer
}

// NewServer builds the service's routes.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = bw.Location()
	}
	m, err := newServiceMetrics(cfg.Registerer, cfg.Index)
	if err != nil {
		return nil, err
	}
	pr, err := newPageRenderer()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: m, page: pr}
	s.route("/api/v1/verify", http.MethodGet, s.verifyAPI)
	s.route("/api/v1/scans", http.MethodPost, s.scanAPI)
	s.route("/verify/{code}", http.MethodGet, s.verifyPage)
	s.route("/healthz", http.MethodGet, s.healthz)
	s.route("/readyz", http.MethodGet, s.readyz)
	if cfg.Gatherer != nil {
		h := metrics.Handler(cfg.Gatherer, cfg.Log)
		s.route("/metrics", http.MethodGet, func(w http.ResponseWriter, r *http.Request) string {
			h.ServeHTTP(w, r)
			return ""
		})
	}
	s.route("/", "", func(w http.ResponseWriter, r *http.Request) string {
		writeError(w, http.StatusNotFound, "path", r.URL.Path, "没有这个地址")
		return ""
	})
	return s, nil
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
	}
	return metrics.RunServer(ctx, srv, ln)
}

// handlerFunc handles one route and returns the verdict it answered, if
// any (the "verdict" label of the request counter).
type handlerFunc func(w http.ResponseWriter, r *http.Request) string

// route registers h for pattern and method ("" = any), answering 405 with
// Allow for other methods and 414 for oversized query strings, and
// recording every request in the metrics under the pattern.
func (s *Server) route(pattern, method string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		verdict := ""
		switch {
		case method != "" && r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead):
			rec.Header().Set("Allow", method)
			writeError(rec, http.StatusMethodNotAllowed, "method", r.Method, "此地址只接受 "+method+" 请求")
		case len(r.URL.RawQuery) > MaxQueryBytes:
			writeError(rec, http.StatusRequestURITooLong, "query", truncate(r.URL.RawQuery, 40),
				fmt.Sprintf("查询字符串长 %d 字节，超过上限 %d 字节", len(r.URL.RawQuery), MaxQueryBytes))
		default:
			verdict = h(rec, r)
		}
		s.metrics.observe(pattern, rec.status, verdict, time.Since(start))
	})
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status and passes it on.
func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// errorBody is the JSON of an HTTP error.
type errorBody struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
	Value string `json:"value,omitempty"`
}

func writeError(w http.ResponseWriter, status int, param, value, msg string) {
	text := msg
	if param != "" {
		text = fmt.Sprintf("%s = %q：%s", param, value, msg)
	}
	writeJSON(w, status, errorBody{Error: text, Param: param, Value: value})
}

func writeInputError(w http.ResponseWriter, err error) {
	var ie *InputError
	if errors.As(err, &ie) {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: ie.Error(), Param: ie.Param, Value: ie.Value})
		return
	}
	writeError(w, http.StatusBadRequest, "", "", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// notReady answers 503 while the index has not been loaded; it reports
// whether it did.
func (s *Server) notReady(w http.ResponseWriter) bool {
	if s.cfg.Index.Ready() {
		return false
	}
	w.Header().Set("Retry-After", "2")
	writeError(w, http.StatusServiceUnavailable, "", "", "服务正在加载数据，请稍后再试")
	return true
}

func (s *Server) query(r *http.Request, code string) (Query, error) {
	v := r.URL.Query()
	return ParseQuery(s.cfg.Index.Reference(), code, v.Get("unit"), v.Get("at"), s.cfg.Now(), s.cfg.Location)
}

// verifyAPI is GET /api/v1/verify?code=C&unit=U[&at=RFC3339] (SPEC §8.1).
func (s *Server) verifyAPI(w http.ResponseWriter, r *http.Request) string {
	if s.notReady(w) {
		return ""
	}
	q, err := s.query(r, r.URL.Query().Get("code"))
	if err != nil {
		writeInputError(w, err)
		return ""
	}
	a := s.cfg.Index.Verify(q)
	writeJSON(w, http.StatusOK, a)
	return string(a.Verdict)
}

// ScanRequest is the body of POST /api/v1/scans (SPEC §8.3).
type ScanRequest struct {
	Code         string         `json:"code"`
	Unit         string         `json:"unit"`
	At           string         `json:"at"`
	Accompanying []CompanionDoc `json:"accompanying"`
}

// CompanionDoc is one accompanying person in JSON.
type CompanionDoc struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// ScanRecord is the stored scan as answered.
type ScanRecord struct {
	ID                string         `json:"scan_id"`
	ScannedAt         string         `json:"scanned_at"`
	Code              string         `json:"inspection_code"`
	Unit              string         `json:"unit_code"`
	CountyCode        string         `json:"county_code"`
	ProvinceCode      string         `json:"province_code"`
	IssuerCode        string         `json:"issuer_code"`
	PlanCode          string         `json:"plan_code"`
	Verdict           bw.Verdict     `json:"verdict"`
	Reasons           []string       `json:"reasons"`
	AccompanyingCount int            `json:"accompanying_count"`
	Accompanying      []CompanionDoc `json:"accompanying"`
}

// scanAPI is POST /api/v1/scans: it verifies the code for the unit at the
// moment given, stores the scan with that verdict and answers the stored
// record (201).
func (s *Server) scanAPI(w http.ResponseWriter, r *http.Request) string {
	if s.notReady(w) {
		return ""
	}
	if r.ContentLength > MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "body", strconv.FormatInt(r.ContentLength, 10)+" bytes",
			fmt.Sprintf("请求体超过上限 %d 字节", MaxBodyBytes))
		return ""
	}
	req, err := decodeScan(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body", "", fmt.Sprintf("请求体超过上限 %d 字节", MaxBodyBytes))
			return ""
		}
		writeInputError(w, err)
		return ""
	}
	q, err := ParseQuery(s.cfg.Index.Reference(), req.Code, req.Unit, req.At, s.cfg.Now(), s.cfg.Location)
	if err != nil {
		writeInputError(w, err)
		return ""
	}
	a := s.cfg.Index.Verify(q)
	scan := newScan(q, &a, req.Accompanying)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), scanWriteBudget)
	defer cancel()
	if err := s.cfg.Scans.InsertScan(ctx, scan); err != nil {
		s.cfg.Log.Error("record scan", "scan_id", scan.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, "", "", "登记未能保存，请稍后重试")
		return ""
	}
	s.metrics.scans.WithLabelValues(string(a.Verdict)).Inc()
	writeJSON(w, http.StatusCreated, scanRecord(scan, s.cfg.Location))
	return string(a.Verdict)
}

// decodeScan parses and validates a scan body.
func decodeScan(body io.Reader) (ScanRequest, error) {
	var req ScanRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, err
		}
		return req, &InputError{"body", "", "不是有效的 JSON 登记记录：" + err.Error()}
	}
	if dec.More() {
		return req, &InputError{"body", "", "请求体只能包含一个 JSON 对象"}
	}
	if len(req.Accompanying) > MaxCompanions {
		return req, &InputError{"accompanying", strconv.Itoa(len(req.Accompanying)) + " 人", fmt.Sprintf("一次最多登记 %d 人", MaxCompanions)}
	}
	for i, c := range req.Accompanying {
		field := fmt.Sprintf("accompanying[%d].name", i)
		if strings.TrimSpace(c.Name) == "" {
			return req, &InputError{field, c.Name, "姓名不能为空"}
		}
		if utf8.RuneCountInString(c.Name) > maxNameRunes || !utf8.ValidString(c.Name) {
			return req, &InputError{field, truncate(c.Name, 80), fmt.Sprintf("姓名最多 %d 个字", maxNameRunes)}
		}
		if utf8.RuneCountInString(c.Role) > maxNameRunes || !utf8.ValidString(c.Role) {
			return req, &InputError{fmt.Sprintf("accompanying[%d].role", i), truncate(c.Role, 80), fmt.Sprintf("职务最多 %d 个字", maxNameRunes)}
		}
	}
	return req, nil
}

func newScan(q Query, a *Answer, people []CompanionDoc) bw.Scan {
	s := bw.Scan{ID: newID(), ScannedAt: q.At, InspectionCode: q.Code, UnitCode: q.Unit,
		CountyCode: a.Unit.CountyCode, ProvinceCode: a.Unit.ProvinceCode, Verdict: a.Verdict, Reasons: a.Failed()}
	if a.Code != nil {
		s.IssuerCode, s.PlanCode = a.Code.IssuerCode, a.Code.PlanCode
	}
	for _, p := range people {
		s.Accompanying = append(s.Accompanying, bw.Companion{Name: strings.TrimSpace(p.Name), Role: strings.TrimSpace(p.Role)})
	}
	return s
}

func scanRecord(s bw.Scan, loc *time.Location) ScanRecord {
	rec := ScanRecord{ID: s.ID, ScannedAt: s.ScannedAt.In(loc).Format(time.RFC3339), Code: s.InspectionCode,
		Unit: s.UnitCode, CountyCode: s.CountyCode, ProvinceCode: s.ProvinceCode, IssuerCode: s.IssuerCode,
		PlanCode: s.PlanCode, Verdict: s.Verdict, Reasons: s.Reasons, AccompanyingCount: len(s.Accompanying),
		Accompanying: []CompanionDoc{}}
	if rec.Reasons == nil {
		rec.Reasons = []string{}
	}
	for _, c := range s.Accompanying {
		rec.Accompanying = append(rec.Accompanying, CompanionDoc(c))
	}
	return rec
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// healthz answers 200 while the process runs.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) string {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return ""
}

// readyz answers 200 when the data is loaded and every probe passes, else
// 503 with what failed.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) string {
	out := map[string]string{}
	ok := s.cfg.Index.Ready()
	out["index"] = "loaded"
	if !ok {
		out["index"] = "loading"
	}
	for name, probe := range s.cfg.Checks {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		err := probe(ctx)
		cancel()
		out[name] = "ok"
		if err != nil {
			ok, out[name] = false, err.Error()
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
	return ""
}
