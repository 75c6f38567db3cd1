{{/*
Names and labels of the GitHub App (vakt app), rendered only with app.enabled. Its pods
carry their own app.kubernetes.io/name, so that neither the operator's Deployment nor
its metrics Service and NetworkPolicy select them.
*/}}
{{- define "vakt.app.fullname" -}}
{{- printf "%s-app" (include "vakt.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "vakt.app.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-app" (include "vakt.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: github-app
{{- end }}

{{- define "vakt.app.labels" -}}
helm.sh/chart: {{ include "vakt.chart" . }}
{{ include "vakt.app.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vakt
{{- end }}
