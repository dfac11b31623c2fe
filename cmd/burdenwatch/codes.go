package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/qr"
	"github.com/burdenwatch/burdenwatch/serve"
)

const defaultBaseURL = "http://127.0.0.1:8080"

func codesCommand(a *app) *cobra.Command {
	return group("codes", "督查编码（一事一码）：生成二维码、离线核验、抽取示例",
		"督查编码（赋码，一事一码，SPEC §3 inspection_codes.csv）：生成督查组现场出示的二维码，"+
			"或不启动服务、直接按 ClickHouse 中的数据核验一个编码。",
		"  burdenwatch codes qr HN2025-0001 --out HN2025-0001.png\n  burdenwatch codes verify HN2025-0001 --unit 431024100",
		codesQRCommand(a), codesVerifyCommand(a), codesSampleCommand(a))
}

func codesQRCommand(a *app) *cobra.Command {
	var baseURL, out string
	size := qr.DefaultSize
	cmd := &cobra.Command{
		Use:   "qr 督查编码",
		Short: "生成督查组现场出示的二维码（PNG），内容为核验地址 <base-url>/verify/<编码>",
		Long: "生成督查组现场出示的二维码（PNG）。二维码内容为核验地址 <base-url>/verify/<督查编码>，" +
			"基层单位扫码后即打开核验页面。",
		Example: "  burdenwatch codes qr HN2025-0001\n  burdenwatch codes qr HN2025-0001 --base-url https://jianfu.example.gov.cn --out /tmp/code.png",
		Args:    exactArgs("督查编码"),
		RunE: func(_ *cobra.Command, args []string) error {
			u, err := qr.VerifyURL(baseURL, args[0])
			if err != nil {
				return usageErrorf("--base-url: %w", err)
			}
			png, err := qr.PNG(u, size)
			if err != nil {
				return err
			}
			if out == "" {
				out = args[0] + ".png"
			}
			if err := os.WriteFile(out, png, 0o644); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			fmt.Fprintf(a.stdout, "二维码已写入 %s（%d×%d 像素），内容 %s\n", out, size, size, u)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&baseURL, "base-url", defaultBaseURL, "核验服务的对外地址")
	fs.StringVar(&out, "out", "", "输出 PNG `文件`（默认 <编码>.png）")
	fs.IntVar(&size, "size", size, "图片边长（像素）")
	config.Local(fs, "out")
	return cmd
}

func codesVerifyCommand(a *app) *cobra.Command {
	var ch clickhouseFlags
	var unit, at string
	var asJSON bool
	packs := packsFlag(defaultRulePacks)
	cmd := &cobra.Command{
		Use:     "verify 督查编码",
		Short:   "不启动服务，按 ClickHouse 中的数据核验一个督查编码，输出与 /api/v1/verify 相同的 JSON",
		Example: "  burdenwatch codes verify HN2025-0001 --unit 431024100 --at 2025-06-12T10:00:00+08:00",
		Args:    exactArgs("督查编码"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ix, err := loadIndex(cmd.Context(), &ch, packs)
			if err != nil {
				return err
			}
			q, err := serve.ParseQuery(ix.Reference(), args[0], unit, at, time.Now(), bw.Location())
			if err != nil {
				return usageErrorf("%w", err)
			}
			ans := ix.Verify(q)
			if asJSON {
				return printJSON(a, ans)
			}
			printAnswer(a, &ans)
			return nil
		},
	}
	fs := cmd.Flags()
	ch.register(fs)
	fs.StringVar(&unit, "unit", "", "被督查单位代码（6 位县级，9/12 位乡镇、村）")
	fs.StringVar(&at, "at", "", "核验时间（RFC 3339，默认当前时间）")
	packs.register(fs, "依据条文和扎堆检查参数")
	fs.BoolVar(&asJSON, "json", false, "输出 JSON（与 /api/v1/verify 相同）")
	return cmd
}

func codesSampleCommand(a *app) *cobra.Command {
	var ch clickhouseFlags
	var count int
	packs := packsFlag(defaultRulePacks)
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "从已导入的赋码清单和事件中各找一个“可以接受”和“可不予配合”的核验示例",
		Long: "从已导入的赋码清单和督查事件中各找一个核验示例：一个“可以接受”，一个“可不予配合”（优先选超频次的）。" +
			"每行输出：结论、督查编码、单位代码、核验时间，以制表符分隔。",
		Example: "  burdenwatch codes sample",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ix, err := loadIndex(cmd.Context(), &ch, packs)
			if err != nil {
				return err
			}
			var list []serve.Sample
			if count > 0 {
				list = ix.SampleQueries(bw.Location(), count)
			} else {
				s := ix.Samples(bw.Location())
				for _, v := range []bw.Verdict{bw.VerdictAccept, bw.VerdictMayRefuse} {
					if x, ok := s[v]; ok {
						list = append(list, x)
					}
				}
			}
			if len(list) == 0 {
				return fmt.Errorf("赋码清单为空或没有督查事件：先导入参考数据（refdata load）并接入事件（ingest）")
			}
			for _, x := range list {
				fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\n", x.Answer.Verdict, x.Query.Code, x.Query.Unit, x.Query.At.Format(time.RFC3339))
			}
			return nil
		},
	}
	ch.register(cmd.Flags())
	packs.register(cmd.Flags(), "依据条文和扎堆检查参数")
	cmd.Flags().IntVar(&count, "count", 0, "改为输出最多这么多条核验查询（各编码轮流，供压力测试用）")
	return cmd
}

// loadIndex reads the verify index from ClickHouse once (no topic).
func loadIndex(ctx context.Context, ch *clickhouseFlags, packsDir packsFlag) (*serve.Index, error) {
	packs, err := packsDir.load()
	if err != nil {
		return nil, err
	}
	db, err := ch.open(ctx, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ix := serve.NewIndex()
	l := serve.ClickHouseLoader{DB: db}
	if err := serve.LoadReference(ctx, ix, l, packs); err != nil {
		return nil, err
	}
	if err := serve.LoadInspections(ctx, ix, l); err != nil {
		return nil, err
	}
	return ix, nil
}

func printJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printAnswer writes a verify answer for a person: the verdict, the code
// and unit, and each check with its reason.
func printAnswer(a *app, ans *serve.Answer) {
	fmt.Fprintf(a.stdout, "核验结论：%s（%s）\n", serve.VerdictText(ans.Verdict), ans.Verdict)
	if c := ans.Code; c != nil {
		issuer := c.IssuerCode
		if c.IssuerName != "" {
			issuer = c.IssuerName + "（" + c.IssuerCode + "）"
		}
		fmt.Fprintf(a.stdout, "督查编码 %s：%s；督查单位 %s；计划项目 %s；有效期 %s 至 %s\n",
			c.Code, c.Title, issuer, c.PlanCode, c.ValidFrom, c.ValidTo)
	}
	fmt.Fprintf(a.stdout, "核验单位 %s（%s），核验时间 %s，本年已到本单位 %d 次", ans.Unit.Code, ans.Unit.CountyName, ans.At, ans.Visits.Made)
	if ans.Visits.Cap != nil {
		fmt.Fprintf(a.stdout, "（上限 %d 次）", *ans.Visits.Cap)
	}
	fmt.Fprintln(a.stdout)
	for _, c := range ans.Checks {
		mark := "✓"
		switch {
		case c.Skipped:
			mark = "–"
		case !c.OK && c.Refuse:
			mark = "✗"
		case !c.OK:
			mark = "!"
		}
		fmt.Fprintf(a.stdout, "  %s %-16s %s：%s\n", mark, c.ID, serve.CheckName(c.ID), c.Reason)
	}
}
