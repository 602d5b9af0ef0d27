package io.prefetchd.gateway.deploy;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The deployment recipes under {@code deploy/} agree with themselves and with the code: the Kubernetes manifests
 * parse, their references resolve (Service to pods, ports, probes, claims to volumes), the container recipe copies
 * files that exist, and the sample configuration binds to real settings.
 */
class DeployFilesTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path DEPLOY = ROOT.resolve("deploy");

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(Path file) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object o : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file))) {
            if (o != null) {
                docs.add((Map<String, Object>) o);
            }
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object node, String... path) {
        Object n = node;
        for (String p : path) {
            assertTrue(n instanceof Map, "no '" + p + "' in " + n);
            n = ((Map<String, Object>) n).get(p);
            assertNotNull(n, "missing '" + p + "' (" + String.join(".", path) + ")");
        }
        return (T) n;
    }

    static Map<String, Object> kind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind));
    }

    @Test
    void everyManifest_parses_andNamesApiVersionKindAndName() throws IOException {
        try (var files = Files.list(DEPLOY.resolve("kubernetes"))) {
            List<Path> yamls = files.filter(f -> f.toString().endsWith(".yaml")).toList();
            assertEquals(2, yamls.size(), yamls.toString());
            for (Path f : yamls) {
                for (Map<String, Object> d : documents(f)) {
                    assertNotNull(d.get("apiVersion"), f + ": " + d);
                    assertNotNull(d.get("kind"), f + ": " + d);
                    assertNotNull(at(d, "metadata", "name"), f + ": " + d);
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void gateway_serviceSelectsThePods_portsAndProbesResolve_stateOnTheLocalVolume() throws IOException {
        List<Map<String, Object>> docs = documents(DEPLOY.resolve("kubernetes/gateway.yaml"));
        Map<String, Object> sts = kind(docs, "StatefulSet");
        Map<String, Object> svc = kind(docs, "Service");
        Map<String, Object> labels = at(sts, "spec", "template", "metadata", "labels");
        Map<String, Object> selector = at(svc, "spec", "selector");
        assertTrue(labels.entrySet().containsAll(selector.entrySet()), "Service selects the gateway pods");
        assertEquals((Object) at(sts, "spec", "selector", "matchLabels"), selector);

        Map<String, Object> container = ((List<Map<String, Object>>) at(sts, "spec", "template", "spec",
                "containers")).get(0);
        Map<String, Integer> containerPorts = new HashMap<>();
        for (Map<String, Object> p : (List<Map<String, Object>>) container.get("ports")) {
            containerPorts.put((String) p.get("name"), (Integer) p.get("containerPort"));
        }
        Map<Integer, Object> servicePorts = new HashMap<>();
        for (Map<String, Object> p : (List<Map<String, Object>>) at(svc, "spec", "ports")) {
            assertTrue(containerPorts.containsKey((String) p.get("targetPort")), "targetPort " + p);
            servicePorts.put((Integer) p.get("port"), p.get("targetPort"));
        }
        assertEquals(Map.of(2049, "nfs", 50051, "grpc", 8049, "http"), servicePorts);

        Map<String, Object> config = documents(DEPLOY.resolve("kubernetes/gateway.yaml")).stream()
                .filter(d -> "ConfigMap".equals(d.get("kind"))).findFirst().orElseThrow();
        Map<String, Object> settings = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load((String) at(config, "data", "prefetchd.yaml"));
        assertEquals(containerPorts.get("nfs"), (Object) at(settings, "prefetchd", "nfs", "port"));
        assertEquals(containerPorts.get("http"), (Object) at(settings, "micronaut", "server", "port"));
        assertEquals("0.0.0.0", (Object) at(settings, "prefetchd", "grpc", "bind"), "training pods reach the hint API");
        assertEquals("/var/lib/prefetchd", (Object) at(settings, "prefetchd", "state-dir"));

        assertEquals("/health", (Object) at(container, "livenessProbe", "httpGet", "path"));
        assertEquals("/ready", (Object) at(container, "readinessProbe", "httpGet", "path"));
        assertEquals("http", (Object) at(container, "readinessProbe", "httpGet", "port"));
        assertEquals(10001, (Integer) at(sts, "spec", "template", "spec", "securityContext", "runAsUser"));

        List<Map<String, Object>> mounts = (List<Map<String, Object>>) container.get("volumeMounts");
        assertTrue(mounts.stream().anyMatch(m -> "state".equals(m.get("name"))
                && "/var/lib/prefetchd".equals(m.get("mountPath"))));
        Map<String, Object> claim = ((List<Map<String, Object>>) at(sts, "spec", "volumeClaimTemplates")).get(0);
        String storageClass = at(claim, "spec", "storageClassName");
        Map<String, Object> pv = kind(docs, "PersistentVolume");
        assertEquals(storageClass, (Object) at(pv, "spec", "storageClassName"));
        assertNotNull(at(pv, "spec", "local", "path"), "the cache is on a local (NVMe) volume");
        assertEquals(storageClass, (Object) at(kind(docs, "StorageClass"), "metadata", "name"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void trainingVolume_isNfs41OnTheServiceAddress_andTheClaimBindsIt() throws IOException {
        Map<String, Object> svc = kind(documents(DEPLOY.resolve("kubernetes/gateway.yaml")), "Service");
        List<Map<String, Object>> docs = documents(DEPLOY.resolve("kubernetes/training-volume.yaml"));
        Map<String, Object> pv = kind(docs, "PersistentVolume");
        Map<String, Object> pvc = kind(docs, "PersistentVolumeClaim");
        assertEquals((Object) at(svc, "spec", "clusterIP"), (Object) at(pv, "spec", "nfs", "server"));
        assertTrue(((List<String>) at(pv, "spec", "mountOptions")).contains("nfsvers=4.1"));
        assertEquals((Object) at(pv, "metadata", "name"), (Object) at(pvc, "spec", "volumeName"));
        assertEquals((Object) at(pv, "spec", "accessModes"), (Object) at(pvc, "spec", "accessModes"));
        assertEquals("", (Object) at(pvc, "spec", "storageClassName"), "static binding, no provisioner");
        Map<String, Object> pod = kind(docs, "Pod");
        List<Map<String, Object>> volumes = at(pod, "spec", "volumes");
        assertEquals((Object) at(pvc, "metadata", "name"), (Object) at(volumes.get(0), "persistentVolumeClaim", "claimName"));
    }

    @Test
    void containerfile_copiesFilesThatExist_runsAsNonRoot_exposesTheConfiguredPorts() throws IOException {
        String recipe = Files.readString(DEPLOY.resolve("Containerfile"));
        Matcher m = Pattern.compile("(?m)^COPY (?!--from)(\\S+) (\\S+)$").matcher(recipe);
        Set<String> copied = new HashSet<>();
        while (m.find()) {
            copied.add(m.group(1));
            assertTrue(Files.exists(ROOT.resolve(m.group(1))), "COPY source " + m.group(1) + " exists");
        }
        assertTrue(copied.containsAll(List.of("pom.xml", "nfs-gateway", "LICENSE", "deploy/prefetchd.yaml")), copied
                .toString());
        // every module the parent POM lists is in the build context
        Matcher modules = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(ROOT.resolve("pom.xml")));
        while (modules.find()) {
            String mod = modules.group(1);
            assertTrue(copied.contains(mod) || copied.contains(mod + "/pom.xml"), "module " + mod + " is copied");
        }
        assertTrue(recipe.contains("openjdk-17-jre-headless"));
        assertTrue(Pattern.compile("(?m)^USER 10001").matcher(recipe).find(), "non-root");
        assertTrue(Pattern.compile("(?m)^VOLUME /var/lib/prefetchd$").matcher(recipe).find());
        assertTrue(recipe.contains("EXPOSE 20490/tcp 8049/tcp 50051/tcp"));
        Map<String, Object> settings = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(DEPLOY.resolve("prefetchd.yaml")));
        assertEquals(20490, (Integer) at(settings, "prefetchd", "nfs", "port"));
        assertEquals("/var/lib/prefetchd", (Object) at(settings, "prefetchd", "state-dir"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void sampleConfigurations_nameOnlyRealSettings() throws Exception {
        Map<String, Object> image = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(DEPLOY.resolve("prefetchd.yaml")));
        assertSettingsExist(at(image, "prefetchd"), io.prefetchd.gateway.daemon.GatewayConfig.class, "prefetchd");
        Map<String, Object> config = kind(documents(DEPLOY.resolve("kubernetes/gateway.yaml")), "ConfigMap");
        Map<String, Object> k8s = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load((String) at(config, "data", "prefetchd.yaml"));
        assertSettingsExist(at(k8s, "prefetchd"), io.prefetchd.gateway.daemon.GatewayConfig.class, "prefetchd");
    }

    @SuppressWarnings("unchecked")
    private static void assertSettingsExist(Map<String, Object> section, Class<?> type, String path) throws Exception {
        for (Map.Entry<String, Object> e : section.entrySet()) {
            StringBuilder camel = new StringBuilder();
            for (String part : e.getKey().split("-")) {
                camel.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
            java.lang.reflect.Method getter = null;
            for (String prefix : List.of("get", "is")) {
                try {
                    getter = type.getMethod(prefix + camel);
                } catch (NoSuchMethodException ignored) {
                    // try the next
                }
            }
            assertNotNull(getter, path + "." + e.getKey() + " is not a setting");
            if (e.getValue() instanceof Map<?, ?> nested) {
                assertSettingsExist((Map<String, Object>) nested, getter.getReturnType(), path + "." + e.getKey());
            }
        }
    }
}
