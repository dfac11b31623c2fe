package main

// This file is a placeholder until the dashboards command is built; replace it with dashboards.go.

func dashboardsCommand() command { return notYet("dashboards", "生成 Grafana 仪表盘配置文件或通过 API 发布") }
