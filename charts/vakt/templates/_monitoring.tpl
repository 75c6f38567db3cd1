{{/*
The PromQL label matchers that pick this install's series: monitoring.selector, or the
labels a ServiceMonitor of this chart gives them (the Service's name is the job).
*/}}
{{- define "vakt.metricSelector" -}}
{{- if .Values.monitoring.selector -}}
{{- .Values.monitoring.selector -}}
{{- else -}}
{{- printf "namespace=%q,job=%q" .Release.Namespace (printf "%s-metrics" (include "vakt.fullname" .)) -}}
{{- end -}}
{{- end }}

{{/* Whether the alert named by the argument is left out (monitoring.prometheusRule.disabled). */}}
{{- define "vakt.alertOn" -}}
{{- if not (has .name .root.Values.monitoring.prometheusRule.disabled) }}true{{ end -}}
{{- end }}
