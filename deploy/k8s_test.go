package deploy

import (
	"bytes"
	"errors"
	"io"
	"path"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"
)

type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Template struct {
			Spec struct {
				Containers []k8sContainer `yaml:"containers"`
				Volumes    []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name string   `yaml:"name"`
	Args []string `yaml:"args"`
	Env  []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe   *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe  *k8sProbe `yaml:"readinessProbe"`
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a port name or number
	} `yaml:"httpGet"`
}

// TestKubernetesSidecar checks deploy/k8s/sidecar.yaml: every Secret key and
// ConfigMap it references exists, each sluice container's config loads with
// that container's environment, its --connector names exist, and its probes
// ask /healthz and /readyz on the admin port.
func TestKubernetesSidecar(t *testing.T) {
	objs := map[string]map[string]k8sObject{} // kind -> name -> object
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "deploy/k8s/sidecar.yaml")))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("deploy/k8s/sidecar.yaml: %v", err)
		}
		if objs[o.Kind] == nil {
			objs[o.Kind] = map[string]k8sObject{}
		}
		objs[o.Kind][o.Metadata.Name] = o
	}
	sluices := 0
	for _, kind := range []string{"StatefulSet", "Deployment"} {
		for _, name := range sortedKeys(objs[kind]) {
			pod := objs[kind][name].Spec.Template.Spec
			configMaps := map[string]string{} // volume -> ConfigMap
			for _, v := range pod.Volumes {
				if v.ConfigMap != nil {
					configMaps[v.Name] = v.ConfigMap.Name
					if _, ok := objs["ConfigMap"][v.ConfigMap.Name]; !ok {
						t.Errorf("%s %s: volume %s: no ConfigMap %s", kind, name, v.Name, v.ConfigMap.Name)
					}
				}
			}
			for _, c := range pod.Containers {
				where := kind + " " + name + " container " + c.Name
				env := k8sEnv(t, where, c, objs["Secret"])
				if len(c.Args) > 0 && (c.Args[0] == "run" || c.Args[0] == "broker") {
					sluices++
					checkSluiceContainer(t, where, c, env, configMaps, objs["ConfigMap"])
				}
			}
		}
	}
	if sluices < 1 {
		t.Error("deploy/k8s/sidecar.yaml: no sluice container (args run or broker)")
	}
}

// k8sEnv returns a container's environment, with secrets as placeholders,
// after checking that every secretKeyRef resolves.
func k8sEnv(t *testing.T, where string, c k8sContainer, secrets map[string]k8sObject) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		s := secrets[ref.Name]
		_, inData := s.Data[ref.Key]
		_, inString := s.StringData[ref.Key]
		if !inData && !inString {
			t.Errorf("%s: env %s: Secret %s has no key %s", where, e.Name, ref.Name, ref.Key)
		}
		env[e.Name] = "secret-" + ref.Key
	}
	return env
}

func checkSluiceContainer(t *testing.T, where string, c k8sContainer, env, configMaps map[string]string, cms map[string]k8sObject) {
	cfgPath := flagValue(c.Args, "--config")
	var data string
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) == path.Dir(cfgPath) {
			data = cms[configMaps[m.Name]].Data[path.Base(cfgPath)]
		}
	}
	if data == "" {
		t.Errorf("%s: --config %q is in no mounted ConfigMap", where, cfgPath)
		return
	}
	c2 := loadConfig(t, []byte(data), where+" "+cfgPath, env)
	for i, a := range c.Args {
		if a == "--connector" && i+1 < len(c.Args) && c2.Connector(c.Args[i+1]) == nil {
			t.Errorf("%s: --connector %s is not in the config", where, c.Args[i+1])
		}
	}
	admin := port(t, c2.Admin.Listen)
	for _, p := range []struct {
		probe      *k8sProbe
		kind, want string
	}{{c.LivenessProbe, "liveness", "/healthz"}, {c.ReadinessProbe, "readiness", "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.want {
			t.Errorf("%s: %s probe must GET %s", where, p.kind, p.want)
			continue
		}
		got := p.probe.HTTPGet.Port
		for _, cp := range c.Ports {
			if cp.Name == got {
				got = strconv.Itoa(cp.ContainerPort)
			}
		}
		if got != admin {
			t.Errorf("%s: %s probe port %s, want admin.listen's %s", where, p.kind, p.probe.HTTPGet.Port, admin)
		}
	}
	if !c.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: securityContext.runAsNonRoot is not true", where)
	}
}
