package main

// This file is a placeholder until the export command is built; replace it with export.go.

func exportCommand() command { return notYet("export", "导出供研究使用的 Parquet 数据集") }
