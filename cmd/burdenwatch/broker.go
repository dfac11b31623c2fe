package main

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/burdenwatch/burdenwatch/broker"
	"github.com/burdenwatch/burdenwatch/config"
)

func brokerCommand(a *app) *cobra.Command {
	cfg := broker.Config{Listen: "127.0.0.1:9092", DataDir: "var/broker", Partitions: 4,
		Retention: 7 * 24 * time.Hour, RetentionBytes: 2 << 30}
	var allowRemote bool
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "在本机运行内置的单节点 Kafka 协议服务器（仅供开发和测试）",
		Long: "在本机运行内置的单节点 Kafka 协议服务器（仅供开发和测试，没有身份验证）。启动时创建事件主题，" +
			"其他主题在首次使用时自动创建，任何 Kafka 客户端都可以向它发布消息。默认只监听本机回环地址；" +
			"监听其他地址须同时给出 --allow-remote。生产环境请使用真正的 Kafka 集群。",
		Example: "  burdenwatch broker\n  burdenwatch broker --listen 127.0.0.1:19092 --data-dir '' --partitions 1",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLoopback(cfg.Listen, allowRemote); err != nil {
				return err
			}
			b, err := broker.Start(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Kafka 协议服务器已启动: %s（主题 %s）\n", b.Addr(), cfg.Topic)
			a.log.Info("broker listening", "addr", b.Addr(), "topic", cfg.Topic, "data_dir", cfg.DataDir)
			<-cmd.Context().Done()
			b.Close()
			a.log.Info("broker stopped")
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "监听地址 `host:port`（只允许本机回环地址，除非给出 --allow-remote）")
	fs.BoolVar(&allowRemote, "allow-remote", false, "允许监听非回环地址（该服务器没有身份验证，同一网络中的任何人都能读写消息）")
	topicFlag(fs, &cfg.Topic, "启动时创建的事件主题")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "数据目录（主题、消息和消费位点在重启后保留）；为空则只在内存中")
	fs.Int32Var(&cfg.Partitions, "partitions", cfg.Partitions, "主题分区数")
	fs.IntVar(&cfg.Brokers, "broker-count", 1, "服务器个数（>1 时模拟多节点 Kafka 集群，其余节点使用同一主机上的空闲端口）")
	fs.DurationVar(&cfg.Retention, "retention", cfg.Retention, "消息保留时长")
	fs.Int64Var(&cfg.RetentionBytes, "retention-bytes", cfg.RetentionBytes, "每个分区保留的最大字节数")
	config.Local(fs, "listen")
	return cmd
}

// checkLoopback refuses a listen address other than loopback unless
// allowed: the development broker has no authentication.
func checkLoopback(listen string, allowed bool) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return usageErrorf("--listen %q: 应为 host:port（%v）", listen, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" || ip != nil && ip.IsLoopback() || allowed {
		return nil
	}
	return usageErrorf("--listen %q 不是本机回环地址：内置服务器没有身份验证，网络中的任何人都能读写消息；确需如此请加 --allow-remote", listen)
}
