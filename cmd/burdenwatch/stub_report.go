package main

// This file is a placeholder until the report command is built; replace it with report.go.

func reportCommand() command { return notYet("report", "生成月度通报（HTML 和 PDF）") }
