// The hazard form (隐患上账 / 修改): choosing a registered site or unit fills
// 地址, 街道 and 主管部门 (and the unit's name and 统一社会信用代码); 隐患类别
// lists only the categories of the chosen 行业领域. The data comes from the
// options' data-* attributes (hazards/forms.py); the server still checks
// everything. No inline script: CSP is script-src 'self'.
(function () {
  "use strict";

  function byId(id) {
    return document.getElementById(id);
  }

  function setValue(field, value) {
    if (!field || field.disabled || value === undefined || value === null || value === "") {
      return;
    }
    if (field.tagName === "SELECT" && !field.querySelector('option[value="' + CSS.escape(value) + '"]')) {
      return;
    }
    if (field.value !== value) {
      field.value = value;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function chosen(select) {
    if (!select || select.selectedIndex < 0) {
      return null;
    }
    var option = select.options[select.selectedIndex];
    return option && option.value ? option.dataset : null;
  }

  function filterCategories(sectorSelect, categorySelect) {
    var sector = sectorSelect.value;
    var current = categorySelect.options[categorySelect.selectedIndex];
    Array.prototype.forEach.call(categorySelect.options, function (option) {
      if (!option.value) {
        return;
      }
      var sectors = (option.dataset.sectors || "*").split(",");
      var fits = !sector || sectors.indexOf("*") !== -1 || sectors.indexOf(sector) !== -1;
      option.hidden = !fits;
      option.disabled = !fits;
    });
    Array.prototype.forEach.call(categorySelect.querySelectorAll("optgroup"), function (group) {
      var any = Array.prototype.some.call(group.querySelectorAll("option"), function (option) {
        return !option.hidden;
      });
      group.hidden = !any;
    });
    if (current && current.value && current.hidden) {
      categorySelect.value = "";
    }
  }

  function fillFromUnit(data) {
    setValue(byId("id_address"), data.address);
    setValue(byId("id_street"), data.street);
    setValue(byId("id_owner"), data.owner);
    setValue(byId("id_unit_uscc"), data.uscc);
    setValue(byId("id_unit_name"), data.name);
    var sector = byId("id_sector");
    if (sector && !sector.value) {
      setValue(sector, data.sector);
    }
  }

  function init() {
    var form = document.querySelector("[data-hazard-form]");
    if (!form) {
      return;
    }
    var unit = byId("id_unit");
    var site = byId("id_site");
    var sector = byId("id_sector");
    var category = byId("id_category");
    if (unit) {
      unit.addEventListener("change", function () {
        var data = chosen(unit);
        if (data) {
          fillFromUnit(data);
        }
      });
    }
    if (site) {
      site.addEventListener("change", function () {
        var data = chosen(site);
        if (!data) {
          return;
        }
        if (data.unit && unit) {
          setValue(unit, data.unit); // fills from the unit first; the site's own place wins below
        }
        setValue(byId("id_address"), data.address);
        setValue(byId("id_street"), data.street);
        setValue(byId("id_owner"), data.owner);
      });
    }
    if (sector && category) {
      sector.addEventListener("change", function () {
        filterCategories(sector, category);
      });
      filterCategories(sector, category);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
