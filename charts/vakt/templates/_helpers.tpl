{{/* The chart name, or nameOverride. */}}
{{- define "vakt.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release fullname: "vakt" for a release named vakt, else "<release>-vakt". */}}
{{- define "vakt.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vakt.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vakt.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vakt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vakt.labels" -}}
helm.sh/chart: {{ include "vakt.chart" . }}
{{ include "vakt.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vakt
{{- end }}

{{- define "vakt.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vakt.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "vakt.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Rules the operator needs wherever it watches ReleaseGuards: in every namespace (a
ClusterRole) or in watchNamespace only (a Role). No wildcards; Secrets and ConfigMaps are
get-only (never list or watch), optionally limited to named objects.
*/}}
{{- define "vakt.watchRules" -}}
# patch: the hand-back finalizer. status: replaced whole, conditional on resourceVersion.
- apiGroups: ["vakt.dev"]
  resources: ["releaseguards"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["vakt.dev"]
  resources: ["releaseguards/status"]
  verbs: ["update"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
# list: other Services selecting a target's pods; watch: its own (label-selected), so an
# edit is repaired at once; patch: owner references at hand-back.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
# Pods labelled vakt.dev/guard (a label-selected list and watch): a pod that is not
# <name>-stable's loses the labels (patch) or is deleted, as is one whose image was changed.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch", "patch", "delete"]
# Which ReplicaSets <name>-stable controls: a pod of theirs is stable's.
- apiGroups: ["apps"]
  resources: ["replicasets"]
  verbs: ["list"]
# Routes whose backend is <name>-canary hold a candidate at zero.
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["list", "watch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
  {{- with .Values.rbac.secretNames }}
  resourceNames: {{ toJson . }}
  {{- end }}
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
  {{- with .Values.rbac.configMapNames }}
  resourceNames: {{ toJson . }}
  {{- end }}
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end }}

{{/* Namespaces the operator watches: watchNamespace and watchNamespaces together; empty: all. */}}
{{- define "vakt.watchedNamespaces" -}}
{{- $list := list -}}
{{- with .Values.watchNamespace }}{{ $list = append $list . }}{{ end -}}
{{- range .Values.watchNamespaces }}{{ $list = append $list . }}{{ end -}}
{{- $list | uniq | join "," -}}
{{- end }}

{{/*
The chart's ValidatingAdmissionPolicies, each with a binding of the same name,
comma-separated; empty with admission.enabled=false. admission.yaml renders them, the
operator is told to expect them (--admission-policies) and may read only them.
*/}}
{{- define "vakt.admissionPolicies" -}}
{{- if .Values.admission.enabled -}}
{{- $fullname := include "vakt.fullname" . -}}
{{- $suffixes := list "workloads" -}}
{{- if .Values.admission.refuseTargetScaleUp }}{{ $suffixes = append $suffixes "target-scale" }}{{ end -}}
{{- $suffixes = concat $suffixes (list "pods" "services") -}}
{{- if .Values.admission.refuseCandidateServices }}{{ $suffixes = append $suffixes "candidate-services" }}{{ end -}}
{{- $suffixes = append $suffixes "guard-status" -}}
{{- if .Values.admission.protectGuardDeletion }}{{ $suffixes = append $suffixes "guard-deletion" }}{{ end -}}
{{- if include "vakt.guardAdminsSet" . }}{{ $suffixes = append $suffixes "guard-changes" }}{{ end -}}
{{- if .Values.admission.refuseCanaryRoutes }}{{ $suffixes = append $suffixes "routes" }}{{ end -}}
{{- $names := list -}}
{{- range $suffixes }}{{ $names = append $names (printf "%s-%s" $fullname .) }}{{ end -}}
{{- $names | join "," -}}
{{- end -}}
{{- end }}

{{- /* Non-empty when admission.guardAdmins names anyone: then guard-changes is rendered. */}}
{{- define "vakt.guardAdminsSet" -}}
{{- $admins := .Values.admission.guardAdmins | default dict -}}
{{- if or ($admins.users | default list) ($admins.groups | default list) }}true{{ end -}}
{{- end }}

{{- define "vakt.platformName" -}}
{{- printf "%s-platform" (include "vakt.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* The Secret with the key that seals rejection marks. */}}
{{- define "vakt.sealKeySecret" -}}
{{- .Values.rejectionSeal.existingSecret | default (printf "%s-seal-key" (include "vakt.fullname" .)) -}}
{{- end }}
