package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/config"
)

// Defaults of the common flags (SPEC §7): the local development stack.
const (
	defaultBrokers = "127.0.0.1:9092"
	defaultTopic   = "burden.events"
	defaultGroup   = "burdenwatch"
	defaultDSN     = "clickhouse://default:@127.0.0.1:19000/burdenwatch"
)

// brokersFlag registers --brokers.
func brokersFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "brokers", defaultBrokers, "Kafka 服务器地址，多个用逗号分隔 (`host:port`)")
}

// topicFlag registers --topic.
func topicFlag(fs *pflag.FlagSet, p *string, usage string) {
	fs.StringVar(p, "topic", defaultTopic, usage)
}

// groupFlag registers --group.
func groupFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "group", defaultGroup, "Kafka 消费组（同一部署的所有 ingest 进程用同一个）")
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// clickhouseFlags are the ClickHouse connection flags: the DSN and where
// the password comes from.
type clickhouseFlags struct {
	dsn          string
	passwordFile string
	password     string // only from BURDENWATCH_CLICKHOUSE_PASSWORD or the config file
}

func (c *clickhouseFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.dsn, "clickhouse", defaultDSN,
		"ClickHouse 地址 `clickhouse://用户@主机:端口/数据库`（原生协议端口；密码请用 --clickhouse-password-file，不要写在命令行上）")
	fs.StringVar(&c.passwordFile, "clickhouse-password-file", "",
		"ClickHouse 密码文件（`文件`，第一行为密码）；也可设置环境变量 BURDENWATCH_CLICKHOUSE_PASSWORD。优先于地址中的密码")
	fs.StringVar(&c.password, "clickhouse-password", "", "ClickHouse 密码（只能来自环境变量或配置文件）")
	must(fs.MarkHidden("clickhouse-password"))
	config.Secret(fs, "clickhouse")
	config.EnvOnly(fs, "clickhouse-password")
}

// resolve is the DSN with the password from the password file, else from
// BURDENWATCH_CLICKHOUSE_PASSWORD, else the DSN's own.
func (c *clickhouseFlags) resolve() (clickhouse.DSN, error) {
	d, err := clickhouse.ParseDSN(c.dsn)
	if err != nil {
		return d, usageErrorf("--clickhouse: %w", err)
	}
	switch {
	case c.passwordFile != "":
		b, err := os.ReadFile(c.passwordFile)
		if err != nil {
			return d, fmt.Errorf("--clickhouse-password-file: %w", err)
		}
		d.Password, _, _ = strings.Cut(string(b), "\n")
		d.Password = strings.TrimSuffix(d.Password, "\r")
	case c.password != "":
		d.Password = c.password
	}
	return d, nil
}

// open connects to ClickHouse; with create, the database is created when
// missing.
func (c *clickhouseFlags) open(ctx context.Context, create bool) (*clickhouse.DB, error) {
	d, err := c.resolve()
	if err != nil {
		return nil, err
	}
	return clickhouse.Open(ctx, d.String(), create)
}

// must panics on a programming error in flag registration.
func must(err error) {
	if err != nil {
		panic(err)
	}
}
