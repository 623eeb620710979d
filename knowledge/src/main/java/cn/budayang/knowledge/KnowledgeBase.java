package cn.budayang.knowledge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable, validated snapshot of a knowledge directory: groups, stations, deputies and FAQs, with lookups.
 * Safe to share between threads. Build one with {@link KnowledgeLoader} or {@link #of}.
 */
public final class KnowledgeBase {
    private final List<Group> groups;
    private final List<Group> professional;
    private final List<Group> area;
    private final List<Station> stations;
    private final List<Deputy> deputies;
    private final List<Faq> faqs;
    private final Map<String, Group> groupById = new LinkedHashMap<>();
    private final Map<String, Station> stationById = new LinkedHashMap<>();
    private final Map<String, Deputy> deputyById = new LinkedHashMap<>();
    private final Map<String, Deputy> deputyByOpenId = new LinkedHashMap<>();
    private final Map<String, Deputy> deputyByBindCode = new LinkedHashMap<>();
    private final Map<String, List<Deputy>> deputiesByGroup = new LinkedHashMap<>();
    private final Map<String, List<Deputy>> deputiesByStation = new LinkedHashMap<>();
    private final Map<String, Faq> faqById = new LinkedHashMap<>();

    private KnowledgeBase(List<Group> groups, List<Station> stations, List<Deputy> deputies, List<Faq> faqs) {
        this.groups = List.copyOf(groups);
        this.stations = List.copyOf(stations);
        this.deputies = List.copyOf(deputies);
        this.faqs = List.copyOf(faqs);
        this.professional = this.groups.stream().filter(Group::professional).toList();
        this.area = this.groups.stream().filter(g -> !g.professional()).toList();
        groups.forEach(g -> groupById.put(g.id(), g));
        stations.forEach(s -> stationById.put(s.id(), s));
        faqs.forEach(f -> faqById.put(f.id(), f));
        Map<String, List<Deputy>> byGroup = new LinkedHashMap<>();
        Map<String, List<Deputy>> byStation = new LinkedHashMap<>();
        for (Deputy d : deputies) {
            deputyById.put(d.id(), d);
            if (d.openId() != null) {
                deputyByOpenId.put(d.openId(), d);
            }
            if (d.bindCode() != null) {
                deputyByBindCode.put(d.bindCode(), d);
            }
            d.groupIds().forEach(g -> byGroup.computeIfAbsent(g, k -> new ArrayList<>()).add(d));
            if (d.stationId() != null) {
                byStation.computeIfAbsent(d.stationId(), k -> new ArrayList<>()).add(d);
            }
        }
        byGroup.forEach((k, v) -> deputiesByGroup.put(k, List.copyOf(v)));
        byStation.forEach((k, v) -> deputiesByStation.put(k, List.copyOf(v)));
    }

    /**
     * A validated snapshot of the given entities.
     *
     * @throws KnowledgeException on a duplicate id or a cross-reference that points nowhere
     */
    public static KnowledgeBase of(List<Group> groups, List<Station> stations, List<Deputy> deputies, List<Faq> faqs) {
        KnowledgeLoader.validate(groups, stations, deputies, faqs);
        return new KnowledgeBase(groups, stations, deputies, faqs);
    }

    /** All groups, in file order. */
    public List<Group> groups() {
        return groups;
    }

    /** The professional groups tickets are routed to, in file order. */
    public List<Group> professionalGroups() {
        return professional;
    }

    /** The area groups (one per township or street), in file order. */
    public List<Group> areaGroups() {
        return area;
    }

    public Optional<Group> group(String id) {
        return Optional.ofNullable(groupById.get(id));
    }

    /** Deputies who belong to the group (professional or area), in file order; empty when none. */
    public List<Deputy> deputiesOf(String groupId) {
        return deputiesByGroup.getOrDefault(groupId, List.of());
    }

    /** Deputies stationed at the station, in file order; empty when none. */
    public List<Deputy> deputiesAtStation(String stationId) {
        return deputiesByStation.getOrDefault(stationId, List.of());
    }

    public Optional<Deputy> deputyByOpenId(String openId) {
        return openId == null ? Optional.empty() : Optional.ofNullable(deputyByOpenId.get(openId));
    }

    public Optional<Deputy> deputyByBindCode(String code) {
        return code == null ? Optional.empty() : Optional.ofNullable(deputyByBindCode.get(code.trim()));
    }

    public Optional<Deputy> deputy(String id) {
        return Optional.ofNullable(deputyById.get(id));
    }

    public List<Deputy> deputies() {
        return deputies;
    }

    public Optional<Station> station(String id) {
        return Optional.ofNullable(stationById.get(id));
    }

    public List<Station> stations() {
        return stations;
    }

    /** Stations of an area group, in file order. */
    public List<Station> stationsOf(String areaGroupId) {
        return stations.stream().filter(s -> s.groupId().equals(areaGroupId)).toList();
    }

    /** The station closest to the point by great-circle (haversine) distance; empty when there are no stations. */
    public Optional<Station> nearestStation(double lat, double lon) {
        Station best = null;
        double bestDistance = Double.MAX_VALUE;
        for (Station s : stations) {
            double d = distanceKm(lat, lon, s.lat(), s.lon());
            if (d < bestDistance) {
                bestDistance = d;
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Great-circle distance in kilometres. */
    public static double distanceKm(double lat1, double lon1, double lat2, double lon2) {
        double r = 6371.0088;
        double dLat = Math.toRadians(lat2 - lat1);
        double dLon = Math.toRadians(lon2 - lon1);
        double a = Math.sin(dLat / 2) * Math.sin(dLat / 2)
                + Math.cos(Math.toRadians(lat1)) * Math.cos(Math.toRadians(lat2)) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
        return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
    }

    public List<Faq> faqs() {
        return faqs;
    }

    public Optional<Faq> faq(String id) {
        return Optional.ofNullable(faqById.get(id));
    }

    @Override
    public String toString() {
        return "KnowledgeBase[" + groups.size() + " groups, " + stations.size() + " stations, " + deputies.size()
                + " deputies, " + faqs.size() + " faqs]";
    }
}
